import { Entity, Index, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { OrgUnit } from './org-unit.entity.js';
import { User } from './user.entity.js';

/** One shared subject of a grant, as stored: `fields` absent means every field. */
export interface StoredShare {
  subject: string;
  fields?: string[];
}

/**
 * Information sharing: the archive of one unit's subtree (`sourceUnit`) made readable, for a
 * limited time, to the users of another unit's subtree (`granteeUnit`) or to one user
 * (`granteeUser`, e.g. a vendor's service account). Read-only by construction; revoked grants are
 * kept, so that who shared what with whom, why and until when stays on record.
 * Every request looks up the active grants that reach its user: the partial indexes serve that
 * lookup from the grantee side, whatever the number of revoked or old grants.
 */
@Entity({ tableName: 'sharing_grant' })
@Index({
  name: 'sharing_grant_unit_active_idx',
  expression:
    'create index "sharing_grant_unit_active_idx" on "sharing_grant" ("grantee_unit_id", "expires_at") where "revoked_at" is null',
})
@Index({
  name: 'sharing_grant_user_active_idx',
  expression:
    'create index "sharing_grant_user_active_idx" on "sharing_grant" ("grantee_user_id", "expires_at") where "revoked_at" is null',
})
export class SharingGrant {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** The unit whose whole subtree is shared. */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'cascade', index: true })
  sourceUnit!: OrgUnit;

  /** Users of this unit and of every unit below it receive the grant (or `granteeUser`: exactly one is set). */
  @ManyToOne({ entity: () => OrgUnit, nullable: true, deleteRule: 'cascade' })
  granteeUnit?: OrgUnit;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'cascade' })
  granteeUser?: User;

  /** What is shared: subjects, each with all or some of its fields. */
  @Property({ type: 'json' })
  shares!: StoredShare[];

  /** Why the data is shared (the agreement, the incident, the job). */
  @Property({ type: 'string', length: 500 })
  purpose!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  createdBy?: User;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  revokedBy?: User;

  @Property({ type: 'string', length: 500, nullable: true })
  revokeReason?: string;
}
