import type { EntityManager } from '@mikro-orm/postgresql';
import { CustomerCategory, Tariff, TariffVersion, TierBasis, type StoredTerms } from '../orm/entities/index.js';

/**
 * The demo's tariffs, one default per category its customers have. Fixed data: the seed stays
 * deterministic.
 *
 * Residential: 浙江省居民生活用电阶梯电价与峰谷电价 (Zhejiang residential tiered + TOU table of the 2012
 * reform): annual tiers 0-2760 / 2761-4800 / >4800 kWh with +0.05 / +0.30 CNY/kWh; peak
 * (08:00-22:00) 0.568, valley (22:00-08:00) 0.288, 0.538 without TOU metering. ASSUMPTION: the demo
 * meters count four bands whose critical-peak, peak and flat hours (07:00-23:00) fall in that
 * table's peak period, so T1-T3 take the peak price. From 2026-07-01 the valley price is 0.298
 * (ASSUMPTION: an invented change, to show a second version).
 * Commercial and agricultural prices are illustrative (ASSUMPTION), not a published table.
 */
const residentialJanuary: StoredTerms = {
  flatPrice: '0.538',
  bandPrices: { T1: '0.568', T2: '0.568', T3: '0.568', T4: '0.288' },
  tiers: [
    { upToKwh: '2760', adder: '0' },
    { upToKwh: '4800', adder: '0.05' },
    { upToKwh: null, adder: '0.30' },
  ],
  fixedCharges: [],
  surcharges: [],
};

export const DEMO_TARIFFS: {
  code: string;
  name: string;
  customerCategory: CustomerCategory;
  tierBasis: TierBasis;
  versions: { effectiveFrom: string; terms: StoredTerms }[];
}[] = [
  {
    code: 'RES-TIERED-TOU',
    name: 'Residential tiered TOU (Zhejiang 2012 table)',
    customerCategory: CustomerCategory.RESIDENTIAL,
    tierBasis: TierBasis.ANNUAL,
    versions: [
      { effectiveFrom: '2026-01-01', terms: residentialJanuary },
      {
        effectiveFrom: '2026-07-01',
        terms: { ...residentialJanuary, bandPrices: { ...residentialJanuary.bandPrices, T4: '0.298' } },
      },
    ],
  },
  {
    code: 'COM-TOU',
    name: 'General commercial TOU',
    customerCategory: CustomerCategory.COMMERCIAL,
    tierBasis: TierBasis.MONTHLY,
    versions: [
      {
        effectiveFrom: '2026-01-01',
        terms: {
          flatPrice: '0.6249',
          bandPrices: { T1: '1.1248', T2: '0.9373', T3: '0.6249', T4: '0.3125' },
          tiers: [{ upToKwh: null, adder: '0' }],
          fixedCharges: [],
          surcharges: [{ name: 'Government funds', perKwh: '0.02913' }],
        },
      },
    ],
  },
  {
    code: 'AGR-FLAT',
    name: 'Agricultural production flat',
    customerCategory: CustomerCategory.AGRICULTURAL,
    tierBasis: TierBasis.MONTHLY,
    versions: [
      {
        effectiveFrom: '2026-01-01',
        terms: { flatPrice: '0.4816', tiers: [{ upToKwh: null, adder: '0' }], fixedCharges: [], surcharges: [] },
      },
    ],
  },
];

/** Creates the demo tariffs (each the default of its category); the caller flushes. */
export function seedDemoTariffs(em: EntityManager): void {
  for (const { versions, ...tariff } of DEMO_TARIFFS) {
    const row = em.create(Tariff, { ...tariff, isDefault: true });
    for (const v of versions) em.create(TariffVersion, { tariff: row, effectiveFrom: v.effectiveFrom, terms: v.terms });
  }
}
