import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { User } from './user.entity.js';

/**
 * A key a collector service or a vendor integration authenticates with instead of a password. It
 * acts as its service account (role and org unit), optionally only on some collection channels.
 * Only its SHA-256 is stored; the key itself is shown once, when created.
 */
@Entity({ tableName: 'api_key' })
export class ApiKey {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  name!: string;

  /** The service account the key acts as. */
  @ManyToOne({ entity: () => User, deleteRule: 'cascade', index: true })
  user!: User;

  /** Public part of the key (`mgk_<prefix>_...`): finds the row, and names the key in logs. */
  @Property({ type: 'string', length: 16, unique: true })
  prefix!: string;

  @Property({ type: 'string', length: 64, hidden: true })
  secretHash!: string;

  /** Collection channels the key is limited to; null: the account's whole scope. */
  @Property({ type: 'integer[]', nullable: true })
  channelIds?: number[];

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  createdBy?: User;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date;
}
