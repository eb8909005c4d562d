import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { Meter, OrgUnit, OrgUnitKind } from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  escapeLike,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type { CreateOrgUnitInput, OrgUnitFilter, OrgUnitOrder, UpdateOrgUnitInput } from './org-unit.type.js';

/** Which kinds may hang under which (a bureau may have county bureaus below it). */
const ALLOWED_PARENTS: Record<OrgUnitKind, OrgUnitKind[]> = {
  [OrgUnitKind.COMPANY]: [],
  [OrgUnitKind.BUREAU]: [OrgUnitKind.COMPANY, OrgUnitKind.BUREAU],
  [OrgUnitKind.SUPPLY_STATION]: [OrgUnitKind.BUREAU],
  [OrgUnitKind.TRANSFORMER_AREA]: [OrgUnitKind.SUPPLY_STATION],
};

export async function listOrgUnits(
  ctx: Context,
  filter: OrgUnitFilter | undefined,
  order: OrgUnitOrder | undefined,
  page: PageArgs,
) {
  const where = ctx.access.where<OrgUnit>('read', 'OrgUnit');
  const conditions: FilterQuery<OrgUnit>[] = [];
  if (filter?.kinds?.length) conditions.push({ kind: { $in: filter.kinds } });
  if (filter?.parentId) conditions.push({ parent: localId(filter.parentId, 'OrgUnit', ['filter', 'parentId']) });
  if (filter?.subtreeOf) {
    conditions.push(await subtreeCondition(ctx, filter.subtreeOf, ['filter', 'subtreeOf'], []));
  }
  if (filter?.search) {
    const like = `%${escapeLike(filter.search)}%`;
    conditions.push({ $or: [{ name: { $ilike: like } }, { code: { $ilike: like } }] });
  }
  return paginate(
    ctx.em,
    OrgUnit,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: order?.field ?? 'id', direction: order?.direction ?? OrderDirection.ASC },
    ctx.config.maxPageSize,
    order?.field === 'createdAt',
  );
}

const createSchema = z.object({
  kind: z.enum(OrgUnitKind),
  code: formats.code,
  name: formats.name,
  parentId: z.string().optional().nullable(),
  timeZone: formats.timeZone.optional().nullable(),
});

export async function createOrgUnit(ctx: Context, input: CreateOrgUnitInput): Promise<OrgUnit> {
  ctx.access.assert('create', 'OrgUnit');
  const data = validate(createSchema, input);
  let parent: OrgUnit | undefined;
  if (data.kind === OrgUnitKind.COMPANY) {
    if (data.parentId) throw badField(['input', 'parentId'], 'a COMPANY is a root and has no parent');
  } else {
    if (!data.parentId) throw badField(['input', 'parentId'], `a ${data.kind} needs a parent`);
    parent = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.parentId, ['input', 'parentId']);
    if (!ALLOWED_PARENTS[data.kind].includes(parent.kind)) {
      throw badField(['input', 'parentId'], `a ${data.kind} cannot be placed under a ${parent.kind}`);
    }
  }
  return ctx.em.transactional(async (em) => {
    const unit = em.create(OrgUnit, {
      kind: data.kind,
      code: data.code,
      name: data.name,
      parent,
      timeZone: data.timeZone ?? undefined,
      path: '/',
    });
    await em.flush();
    unit.path = `${parent?.path ?? '/'}${unit.id}/`;
    await em.flush();
    return unit;
  });
}

const updateSchema = z.object({
  id: z.string(),
  name: formats.name.optional().nullable(),
  timeZone: formats.timeZone.optional().nullable(),
  parentId: z.string().optional().nullable(),
  supplyMeterId: z.string().optional().nullable(),
});

export async function updateOrgUnit(ctx: Context, input: UpdateOrgUnitInput): Promise<OrgUnit> {
  const data = validate(updateSchema, input);
  const unit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'update', data.id);
  // Everything is read and checked before anything changes: a query for org units would flush a
  // unit already changed (MikroORM's auto-flush), outside the transaction, even when a later check
  // refuses the update. And on the embedded database the transaction holds the only connection.
  if (data.supplyMeterId && unit.kind !== OrgUnitKind.TRANSFORMER_AREA) {
    throw badField(['input', 'supplyMeterId'], 'only a TRANSFORMER_AREA has a supply meter');
  }
  const supplyMeter = data.supplyMeterId
    ? await loadPermitted(ctx, Meter, 'Meter', 'read', data.supplyMeterId, ['input', 'supplyMeterId'])
    : undefined;
  const parent = data.parentId
    ? await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.parentId, ['input', 'parentId'])
    : undefined;
  if (parent && !ALLOWED_PARENTS[unit.kind].includes(parent.kind)) {
    throw badField(['input', 'parentId'], `a ${unit.kind} cannot be placed under a ${parent.kind}`);
  }
  if (parent && parent.path.startsWith(unit.path))
    throw badField(['input', 'parentId'], 'cannot move a unit under itself');
  return ctx.em.transactional(async (em) => {
    if (data.name) unit.name = data.name;
    if (data.timeZone !== undefined) unit.timeZone = data.timeZone ?? undefined;
    if (supplyMeter) unit.supplyMeter = supplyMeter;
    if (parent) {
      const oldPath = unit.path;
      const newPath = `${parent.path}${unit.id}/`;
      unit.parent = parent;
      await em.flush();
      // Re-root the whole subtree in one statement.
      await em
        .getConnection()
        .execute(
          `update org_unit set path = ? || substr(path, ?) where path like ? escape '\\'`,
          [newPath, oldPath.length + 1, `${escapeLike(oldPath)}%`],
          'run',
          em.getTransactionContext(),
        );
      unit.path = newPath;
    }
    await em.flush();
    return unit;
  });
}
