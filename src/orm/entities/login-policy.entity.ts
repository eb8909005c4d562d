import { Check, Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Role } from './enums.js';
import { User } from './user.entity.js';

/** A time window logins are allowed in (see src/auth/login-policy.ts). */
export interface StoredTimeWindow {
  days: number[];
  start: string;
  end: string;
}

/**
 * The login policy of a role, or of one user (which then replaces the role's). A role or user
 * without one follows the server's defaults (LOGIN_* settings): from anywhere, at any time.
 */
@Entity({ tableName: 'login_policy' })
@Check({ name: 'login_policy_one_target', expression: '("role" is null) <> ("user_id" is null)' })
export class LoginPolicy {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Enum({ items: () => Role, nullable: true, unique: 'login_policy_role_uq' })
  role?: Role;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'cascade', unique: 'login_policy_user_uq' })
  user?: User;

  @Property({ type: 'text[]', nullable: true })
  allowedCidrs?: string[];

  @Property({ type: 'json', nullable: true })
  windows?: StoredTimeWindow[];

  @Property({ type: 'boolean', default: false })
  requireTotp: Opt<boolean> = false;

  @Property({ type: 'integer' })
  maxFailures!: number;

  @Property({ type: 'integer' })
  lockoutSeconds!: number;

  @Property({ type: 'integer' })
  lockoutMaxSeconds!: number;

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}

/**
 * Failed logins counted per account name and per source address. Keyed by the name as typed, so
 * that an unknown name locks like a known one and lockouts tell nothing about which accounts exist.
 */
@Entity({ tableName: 'login_throttle' })
export class LoginThrottle {
  /** `account:<name>`, `customer:<account no>` or `address:<ip>`. */
  @PrimaryKey({ type: 'string', length: 200 })
  key!: string;

  @Property({ type: 'integer' })
  failures!: number;

  @Property({ type: 'datetime' })
  lastFailureAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  lockedUntil?: Date;
}
