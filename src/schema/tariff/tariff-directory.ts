import type { EntityManager } from '@mikro-orm/postgresql';
import type { TariffTerms } from '../../billing/tariff-engine.js';
import { Tariff } from '../../orm/entities/index.js';
import { termsOf } from './tariff.service.js';

/** Every tariff with its versions, loaded once for a batch job (a settlement run). */
export interface TariffDirectory {
  /** The customer's own tariff, else its category's default; undefined when there is neither. */
  forCustomer(customer: {
    tariffId: number | null;
    category: string;
  }): { code: string; versions: TariffTerms[] } | undefined;
}

export async function loadTariffDirectory(em: EntityManager): Promise<TariffDirectory> {
  const tariffs = await em.find(Tariff, {}, { populate: ['versions'] });
  const byId = new Map(
    tariffs.map((t) => [t.id, { code: t.code, versions: t.versions.getItems().map((v) => termsOf(t, v)) }]),
  );
  const defaults = new Map<string, { code: string; versions: TariffTerms[] }>(
    tariffs.filter((t) => t.isDefault).map((t) => [t.customerCategory, byId.get(t.id)!]),
  );
  return {
    forCustomer: (c) => (c.tariffId !== null ? byId.get(c.tariffId) : defaults.get(c.category)),
  };
}
