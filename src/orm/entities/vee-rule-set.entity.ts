import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { CustomerCategory } from './enums.js';
import { OrgUnit } from './org-unit.entity.js';

/**
 * VEE rules for a group of meters: those under `orgUnit` (its whole subtree), optionally only those
 * measuring customers of one category. The most specific set applies to a meter: the deepest unit,
 * then a set for the customer's category over one for any category. Parameters not given take the
 * defaults of src/billing/vee-rules.ts.
 */
@Entity({ tableName: 'vee_rule_set' })
@Unique({
  name: 'vee_rule_set_unit_category_uq',
  expression:
    'create unique index "vee_rule_set_unit_category_uq" on "vee_rule_set" ("org_unit_id", coalesce("customer_category", \'\'))',
})
export class VeeRuleSet {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'cascade', index: true })
  orgUnit!: OrgUnit;

  @Enum({ items: () => CustomerCategory, nullable: true })
  customerCategory?: CustomerCategory;

  /** Parameter overrides (validated with zod on the way in). */
  @Property({ type: 'json' })
  params: Opt<Record<string, unknown>> = {};

  /** The rules applied (names from the flag catalogue). */
  @Property({ type: 'string[]' })
  enabledRules!: string[];

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
