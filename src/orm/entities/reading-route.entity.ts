import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { MeterBox } from './meter-box.entity.js';
import { OrgUnit } from './org-unit.entity.js';

/**
 * A station's reading route (paper 3.1: the reading department managed by reading time windows):
 * the meter boxes read on one billing day (Customer.billingDay) within one reading window
 * (Customer.readingWindowStart/End), in the order they are walked. Generated routes are rebuilt
 * from the archive on request; a route created or changed by hand is left alone by that.
 */
@Entity({ tableName: 'reading_route' })
@Index({ name: 'reading_route_org_day_idx', properties: ['orgUnit', 'readingDay'] })
@Check({ name: 'reading_route_reading_day', expression: '"reading_day" >= 1 and "reading_day" <= 28' })
export class ReadingRoute extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  name!: string;

  /** The supply station the route belongs to (it scopes the route). */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict' })
  orgUnit!: OrgUnit;

  /** Day of month (1-28): the billing day of the customers read on it. */
  @Property({ type: 'smallint' })
  readingDay!: number;

  /** Local time "HH:MM" the reading window opens and closes (it may close after midnight). */
  @Property({ type: 'string', length: 5 })
  windowStart!: string;

  @Property({ type: 'string', length: 5 })
  windowEnd!: string;

  @Property({ type: 'boolean', default: true })
  active: Opt<boolean> = true;

  /** Built by generateReadingRoutes (and rebuilt by it); false once created or changed by hand. */
  @Property({ type: 'boolean', default: false })
  generated: Opt<boolean> = false;
}

/**
 * A meter box on a route, at its place in the walk. `active` repeats the route's, so that a partial
 * unique index can keep a box on at most one active route.
 */
@Entity({ tableName: 'reading_route_box' })
@Unique({ name: 'reading_route_box_seq_uq', properties: ['route', 'seq'] })
@Unique({ name: 'reading_route_box_box_uq', properties: ['route', 'meterBox'] })
@Index({
  name: 'reading_route_box_active_uq',
  expression:
    'create unique index "reading_route_box_active_uq" on "reading_route_box" ("meter_box_id") where "active"',
})
export class ReadingRouteBox {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => ReadingRoute, deleteRule: 'cascade' })
  route!: ReadingRoute;

  @ManyToOne({ entity: () => MeterBox, deleteRule: 'cascade', index: true })
  meterBox!: MeterBox;

  /** Place in the walk, from 1. */
  @Property({ type: 'smallint' })
  seq!: number;

  @Property({ type: 'boolean', default: true })
  active: Opt<boolean> = true;
}
