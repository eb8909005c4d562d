import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { Customer } from './customer.entity.js';
import { Role } from './enums.js';
import type { Sealed } from '../../shared/personal-data.js';
import { OrgUnit } from './org-unit.entity.js';

@Entity({ tableName: 'app_user' })
export class User extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 64, unique: true })
  username!: string;

  @Property({ type: 'string', length: 255, hidden: true, lazy: true })
  passwordHash!: string;

  @Property({ type: 'string', length: 128 })
  displayName!: string;

  @Enum({ items: () => Role })
  role!: Role;

  /** The unit whose subtree the user works in. */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict', index: true })
  orgUnit!: OrgUnit;

  /** Set for the CUSTOMER role: the account the user may see. */
  @ManyToOne({ entity: () => Customer, nullable: true, deleteRule: 'cascade' })
  customer?: Customer;

  @Property({ type: 'boolean', default: true })
  active: Opt<boolean> = true;

  /** Bumped to invalidate every access token issued before (logout everywhere, role change). */
  @Property({ type: 'integer', default: 0 })
  tokenVersion: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  lastLoginAt?: Date;

  /** The TOTP secret, sealed (src/shared/personal-data.ts); set at enrollment, in use once confirmed. */
  @Property({ fieldName: 'totp_secret', type: 'text', nullable: true, hidden: true, lazy: true })
  totpSecretSealed?: Sealed;

  /** When the user confirmed their authenticator: from then on a code is asked at every login. */
  @Property({ type: 'datetime', nullable: true })
  totpEnabledAt?: Date;

  /** The last accepted code's time step: a code is never accepted twice. */
  @Property({ type: 'integer', nullable: true, hidden: true })
  totpLastStep?: number;

  /** After this instant the account cannot log in and its sessions stop (temporary staff, contractors). */
  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date;
}
