import { Collection, Entity, Enum, OneToMany, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { CustomerCategory, TierBasis } from './enums.js';
import { TariffVersion } from './tariff-version.entity.js';

/**
 * A tariff (电价): prices for one kind of customer, changed over time by dated versions. The default
 * tariff of a category applies to its customers unless a customer names its own; the partial
 * unique index keeps at most one default per category. Tariffs are company-wide, not org-scoped.
 */
@Entity({ tableName: 'tariff' })
@Unique({
  name: 'tariff_default_uq',
  expression: 'create unique index "tariff_default_uq" on "tariff" ("customer_category") where "is_default"',
})
export class Tariff extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 32, unique: true })
  code!: string;

  @Property({ type: 'string', length: 128 })
  name!: string;

  @Enum({ items: () => CustomerCategory })
  customerCategory!: CustomerCategory;

  @Property({ type: 'boolean', default: false })
  isDefault: Opt<boolean> = false;

  /** Fixed at creation: a tier year cannot turn into a tier month between two versions. */
  @Enum({ items: () => TierBasis })
  tierBasis!: TierBasis;

  @OneToMany({ entity: () => TariffVersion, mappedBy: 'tariff', orderBy: { effectiveFrom: 'asc' } })
  versions = new Collection<TariffVersion>(this);
}
