// Tariffs and their versions, a customer's tariff and tier progress, and the tariff directory of a
// settlement run.
import { CustomerTierProgressResolver } from './tier-progress.js';
import { CustomerTariffResolver, TariffResolver } from './tariff.resolver.js';

export const resolvers = [CustomerTierProgressResolver, TariffResolver, CustomerTariffResolver] as const;

export { loadTariffDirectory, type TariffDirectory } from './tariff-directory.js';
