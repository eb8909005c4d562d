import { Entity, Enum, ManyToOne, OneToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Channel } from './channel.entity.js';
import { CollectionStatus } from './enums.js';
import { Meter } from './meter.entity.js';

/** A meter under automatic collection: on which channel, with which settings and points. */
@Entity({ tableName: 'meter_collection' })
export class MeterCollection {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @OneToOne({ entity: () => Meter, owner: true, deleteRule: 'cascade', unique: 'meter_collection_meter_uq' })
  meter!: Meter;

  @ManyToOne({ entity: () => Channel, deleteRule: 'restrict', index: true })
  channel!: Channel;

  /** The meter's own device settings, merged over the channel's (e.g. { address } or { unitId }). */
  @Property({ type: 'json' })
  settings!: Record<string, unknown>;

  /** What to read: [{ register, settings }], settings per the plugin's point schema. */
  @Property({ type: 'json' })
  points!: { register: string; settings: Record<string, unknown> }[];

  @Enum({ items: () => CollectionStatus, default: CollectionStatus.OK })
  status: Opt<CollectionStatus> = CollectionStatus.OK;

  @Property({ type: 'string', length: 512, nullable: true })
  statusDetail?: string;

  @Property({ type: 'datetime', nullable: true })
  lastSuccessAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  lastFailureAt?: Date;

  @Property({ type: 'string', length: 255, nullable: true })
  lastError?: string;
}
