import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One audited event: a mutation or a security event (login, lockout, token reuse...). Rows are
 * written only by the audit log, under a table lock, each carrying the keyed hash of its content
 * and of the row before it; a trigger refuses UPDATE, DELETE and TRUNCATE, and an edit made around
 * the trigger is found by `verifyAuditLog`.
 */
@Entity({ tableName: 'audit_record' })
@Index({ name: 'audit_record_at_idx', properties: ['at'] })
@Index({ name: 'audit_record_actor_idx', properties: ['actorId', 'id'] })
@Index({ name: 'audit_record_action_idx', properties: ['action', 'id'] })
export class AuditRecord {
  /** Consecutive from 1: assigned by the log, so that a missing row leaves a gap. */
  @PrimaryKey({ type: 'bigint', autoincrement: false })
  id!: string;

  @Property({ type: 'datetime' })
  at!: Date;

  @Property({ type: 'integer', nullable: true })
  actorId?: number;

  /** The actor's username at the time (users can be renamed; the record must not change). */
  @Property({ type: 'string', length: 64, nullable: true })
  actor?: string;

  @Property({ type: 'string', length: 32, nullable: true })
  actorRole?: string;

  @Property({ type: 'string', length: 64, nullable: true })
  ip?: string;

  @Property({ type: 'string', length: 64, nullable: true })
  requestId?: string;

  /** The mutation's field name (`updateMeter`) or a security event (`login`, `login_failed`...). */
  @Property({ type: 'string', length: 64 })
  action!: string;

  /** `OK`, or the error code the client was given. */
  @Property({ type: 'string', length: 32 })
  outcome!: string;

  /** Canonical JSON (sorted keys) of the input, the changes (before/after) and notes; secrets redacted. */
  @Property({ type: 'text' })
  details!: string;

  @Property({ type: 'string', length: 64 })
  prevHash!: string;

  @Property({ type: 'string', length: 64 })
  hash!: string;
}
