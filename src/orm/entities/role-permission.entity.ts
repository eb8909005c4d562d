import { Entity, Enum, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { PermissionScope, Role } from './enums.js';

/** A CASL rule stored as data, so that admins can change what a role may do without a release. */
@Entity({ tableName: 'role_permission' })
export class RolePermission {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Enum({ items: () => Role, index: true })
  role!: Role;

  @Property({ type: 'string', length: 32 })
  action!: string;

  @Property({ type: 'string', length: 32 })
  subject!: string;

  /** Restricts the rule to these fields; null means all fields. */
  @Property({ type: 'string[]', nullable: true })
  fields?: string[];

  @Property({ type: 'boolean', default: false })
  inverted: Opt<boolean> = false;

  @Enum({ items: () => PermissionScope, default: PermissionScope.ALL })
  scope: Opt<PermissionScope> = PermissionScope.ALL;
}
