import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '../auth/password.js';
import { DEFAULT_PERMISSIONS } from '../auth/permissions.js';
import type { Config } from '../config/config.js';
import { OrgUnit, OrgUnitKind, Role, RolePermission, User } from '../orm/entities/index.js';
import type { Logger } from '../shared/logger.js';

/** Copies the default rules of every role that has none yet (first start, or a role added in a release). */
export async function ensureDefaultPermissions(em: EntityManager): Promise<void> {
  const present = new Set((await em.find(RolePermission, {}, { fields: ['role'] })).map((r) => r.role));
  for (const [role, rules] of Object.entries(DEFAULT_PERMISSIONS) as [Role, (typeof DEFAULT_PERMISSIONS)[Role]][]) {
    if (present.has(role)) continue;
    for (const rule of rules) {
      em.create(RolePermission, {
        role,
        action: rule.action,
        subject: rule.subject,
        fields: rule.fields,
        inverted: rule.inverted ?? false,
        scope: rule.scope,
      });
    }
  }
  await em.flush();
}

/** The root of the org tree: an installation always has one company to hang everything from. */
export async function ensureRootOrgUnit(em: EntityManager): Promise<OrgUnit> {
  const existing = await em.findOne(OrgUnit, { parent: null }, { orderBy: { id: 'asc' } });
  if (existing) return existing;
  return em.transactional(async (tx) => {
    const root = tx.create(OrgUnit, {
      kind: OrgUnitKind.COMPANY,
      code: 'ROOT',
      name: 'Power Supply Company',
      path: '/',
    });
    await tx.flush();
    root.path = `/${root.id}/`;
    await tx.flush();
    return root;
  });
}

/** ADMIN_USERNAME + ADMIN_PASSWORD: how an installation gets its first account. Only when no admin exists. */
export async function ensureAdmin(em: EntityManager, config: Config, logger: Logger, root: OrgUnit): Promise<void> {
  if (!config.admin) return;
  if (await em.count(User, { role: Role.ADMIN })) return;
  em.create(User, {
    username: config.admin.username,
    passwordHash: await hashPassword(config.admin.password),
    displayName: 'Administrator',
    role: Role.ADMIN,
    orgUnit: root,
  });
  await em.flush();
  logger.info({ username: config.admin.username }, 'created the first administrator from ADMIN_USERNAME');
}
