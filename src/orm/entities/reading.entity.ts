import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { EstimationMethod, ReadingQuality, ReadingSource, RegisterCode } from './enums.js';
import { Meter } from './meter.entity.js';

/**
 * A cumulative register value at the time the meter measured it. Built for volume: bigint key,
 * one row per (meter, register, measured time) so a replay is a no-op, and a BRIN index on time
 * for range scans over the whole table.
 */
@Entity({ tableName: 'reading' })
@Unique({ name: 'reading_meter_register_time_uq', properties: ['meter', 'register', 'measuredAt'] })
@Index({ name: 'reading_meter_time_idx', properties: ['meter', 'measuredAt'] })
@Index({
  name: 'reading_measured_at_brin',
  expression: 'create index "reading_measured_at_brin" on "reading" using brin ("measured_at")',
})
export class Reading {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @ManyToOne({ entity: () => Meter, deleteRule: 'cascade' })
  meter!: Meter;

  @Enum({ items: () => RegisterCode })
  register!: RegisterCode;

  @Property({ type: 'decimal', precision: 20, scale: 4 })
  value!: string;

  @Property({ type: 'datetime' })
  measuredAt!: Date;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  receivedAt: Opt<Date> = new Date();

  @Enum({ items: () => ReadingSource })
  source!: ReadingSource;

  @Enum({ items: () => ReadingQuality, default: ReadingQuality.GOOD })
  quality: Opt<ReadingQuality> = ReadingQuality.GOOD;

  /** The rules the value failed: a bitmask of the catalogue in src/shared/reading-flags.ts. */
  @Property({ type: 'smallint', default: 0 })
  flags: Opt<number> = 0;

  /** How an ESTIMATED value was obtained; null for every other source. */
  @Enum({ items: () => EstimationMethod, nullable: true })
  estimationMethod?: EstimationMethod;
}
