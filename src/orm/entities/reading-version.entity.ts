import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { EstimationMethod, ReadingQuality, ReadingSource } from './enums.js';
import { Reading } from './reading.entity.js';
import { User } from './user.entity.js';

/**
 * An earlier state of a reading, kept when the reading changes (an edit, a late actual value
 * replacing an estimate): the value, where it came from and what was wrong with it, and why and by
 * whom it was replaced. Version 1 is the first value the reading had; the reading row itself is
 * always the current version.
 */
@Entity({ tableName: 'reading_version' })
@Unique({ name: 'reading_version_reading_version_uq', properties: ['reading', 'version'] })
export class ReadingVersion {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @ManyToOne({ entity: () => Reading, deleteRule: 'cascade' })
  reading!: Reading;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'decimal', precision: 20, scale: 4 })
  value!: string;

  @Enum({ items: () => ReadingSource })
  source!: ReadingSource;

  @Enum({ items: () => ReadingQuality })
  quality!: ReadingQuality;

  @Property({ type: 'smallint', default: 0 })
  flags: Opt<number> = 0;

  @Enum({ items: () => EstimationMethod, nullable: true })
  method?: EstimationMethod;

  /** Why the value was replaced (the editor's reason, or "late actual value"). */
  @Property({ type: 'string', length: 500 })
  reason!: string;

  /** Who replaced it; null for the system (a late value from collection). */
  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  changedBy?: User;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  changedAt: Opt<Date> = new Date();
}
