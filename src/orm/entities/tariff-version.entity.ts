import { Entity, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import type { RowRef } from './base.js';

/** TOU bands as stored: T1 critical peak, T2 peak, T3 flat, T4 valley (registers FORWARD_ACTIVE_T1..T4). */
export type StoredBand = 'T1' | 'T2' | 'T3' | 'T4';

/**
 * The prices of one version, as stored (jsonb; every number a decimal string, never a JSON number).
 * The shape of the tariff engine's terms without the dates and the tier basis, which are columns.
 */
export interface StoredTerms {
  flatPrice?: string;
  bandPrices?: Partial<Record<StoredBand, string>>;
  tiers: { upToKwh: string | null; adder: string }[];
  fixedCharges: { name: string; amount: string }[];
  surcharges: { name: string; perKwh: string }[];
}

/**
 * One version of a tariff: in effect from `effectiveFrom` (a local date) until the next version's.
 * Versions are added, never edited, so a bill can always name the prices it was computed with.
 */
@Entity({ tableName: 'tariff_version' })
@Unique({ name: 'tariff_version_effective_uq', properties: ['tariff', 'effectiveFrom'] })
export class TariffVersion {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  // Relations by entity name and typed by key: importing the classes, even as types, would close
  // import cycles (tariff -> version -> tariff; customer -> tariff -> version -> user -> customer).
  @ManyToOne({ entity: 'Tariff', deleteRule: 'cascade' })
  tariff!: RowRef;

  @Property({ type: 'string', columnType: 'date' })
  effectiveFrom!: string;

  @Property({ type: 'json' })
  terms!: StoredTerms;

  @ManyToOne({ entity: 'User', nullable: true, deleteRule: 'set null' })
  createdBy?: RowRef;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
