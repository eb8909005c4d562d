// Energy of a service point per local day or month, from its cumulative registers; the register values
// other modules compute with.
import { ConsumptionResolver } from './consumption.resolver.js';

export const resolvers = [ConsumptionResolver] as const;

export { ConsumptionProblemKind, TouBand } from './consumption.type.js';
export { loadRegisterValues, loadRegisterValuesAt, loadServicePointSpans, wholeLifeSpan } from './register-values.js';
