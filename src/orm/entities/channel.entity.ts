import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { CollectionStatus } from './enums.js';
import { OrgUnit } from './org-unit.entity.js';

/**
 * A way to reach meters: a TCP gateway, a serial line, a broker connection, a concentrator.
 * `settings` are the collector plugin's device settings shared by the meters on the channel
 * (host and port, serial parameters, broker URL); each meter adds its own (address, unit id).
 */
@Entity({ tableName: 'channel' })
export class Channel extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  name!: string;

  /** The collector plugin's id, e.g. dlt645-2007-tcp, modbus-tcp. */
  @Property({ type: 'string', length: 64 })
  pluginId!: string;

  @Property({ type: 'json' })
  settings!: Record<string, unknown>;

  /** The unit that owns the channel (scoping). */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict', index: true })
  orgUnit!: OrgUnit;

  @Property({ type: 'boolean', default: true })
  enabled: Opt<boolean> = true;

  @Enum({ items: () => CollectionStatus, default: CollectionStatus.OK })
  status: Opt<CollectionStatus> = CollectionStatus.OK;

  @Property({ type: 'string', length: 512, nullable: true })
  statusDetail?: string;
}
