import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { User, WorkerPosition } from '../../orm/entities/index.js';
import { decimal } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import {
  type Connection,
  type Context,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import { FIELD_ROLES } from '../work-order/index.js';
import { latitude, longitude } from '../../shared/coordinates.js';
import type { RecordPositionInput } from './field.type.js';

/** Positions sent late (after a dead spot) are taken for this long; a phone clock ahead by at most this. */
const OLDEST_MS = 7 * 86_400_000;
const CLOCK_AHEAD_MS = 5 * 60_000;

const positionSchema = z.object({
  latitude,
  longitude,
  accuracyMeters: decimal(6, 1, { min: 'nonNegative' }).optional().nullable(),
  recordedAt: z
    .date()
    .refine((d) => d.getTime() <= Date.now() + CLOCK_AHEAD_MS, 'must not be in the future')
    .refine((d) => d.getTime() >= Date.now() - OLDEST_MS, 'must be within the last 7 days')
    .optional()
    .nullable(),
});

/** Records where the caller is (their phone's fix). Always the caller's own position. */
export async function recordPosition(ctx: Context, input: RecordPositionInput): Promise<WorkerPosition> {
  const user = ctx.access.requireUser();
  ctx.access.assert('create', 'WorkerPosition');
  const data = validate(positionSchema, input);
  const position = ctx.em.create(WorkerPosition, {
    user,
    latitude: data.latitude,
    longitude: data.longitude,
    accuracyMeters: data.accuracyMeters ?? undefined,
    recordedAt: data.recordedAt ?? new Date(),
  });
  await ctx.em.flush();
  return position;
}

export interface StaffPosition {
  user: User;
  position: WorkerPosition | null;
}

/**
 * The field staff (readers, inspectors, station managers) whose positions the caller may read,
 * by username, each with the latest position they sent. Staff who never sent one are listed with
 * none, so that a manager also sees who is not reporting.
 */
export async function staffPositions(
  ctx: Context,
  orgUnitSubtree: string | undefined,
  page: PageArgs,
): Promise<Connection<StaffPosition>> {
  ctx.access.assert('read', 'WorkerPosition');
  const positionRule = ctx.access.whereOn<User>('read', 'WorkerPosition', 'User');
  const userRule = ctx.access.where<User>('read', 'User');
  const conditions: FilterQuery<User>[] = [{ role: { $in: [...FIELD_ROLES] }, active: true }];
  if (orgUnitSubtree) conditions.push(await subtreeCondition(ctx, orgUnitSubtree, ['orgUnitSubtree'], ['orgUnit']));
  const where = positionRule === null || userRule === null ? null : { $and: [positionRule, userRule, ...conditions] };
  const users = await paginate(
    ctx.em,
    User,
    where as FilterQuery<User> | null,
    page,
    { field: 'username', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
  const latest = await latestPositions(
    ctx,
    users.nodes.map((u) => u.id),
  );
  const wrap = (user: User): StaffPosition => ({ user, position: latest.get(user.id) ?? null });
  const result = {
    edges: users.edges.map((e) => ({ cursor: e.cursor, node: wrap(e.node) })),
    nodes: users.nodes.map(wrap),
    pageInfo: users.pageInfo,
  };
  // The count stays lazy: it runs only when a client asks for totalCount.
  return Object.defineProperty(result, 'totalCount', {
    get: () => users.totalCount,
    enumerable: true,
  }) as Connection<StaffPosition>;
}

/** userId -> newest position: one index probe per user on (user, recorded_at). */
async function latestPositions(ctx: Context, userIds: number[]): Promise<Map<number, WorkerPosition>> {
  if (!userIds.length) return new Map();
  const rows: Record<string, unknown>[] = await ctx.em.getConnection().execute(
    `select p.* from unnest(array[${userIds.map(() => '?').join(',')}]::int[]) as u(id)
     cross join lateral (
       select * from worker_position x where x.user_id = u.id order by x.recorded_at desc, x.id desc limit 1
     ) p`,
    userIds,
  );
  const map = new Map<number, WorkerPosition>();
  for (const row of rows) {
    const position = ctx.em.map(WorkerPosition, row as never);
    map.set(position.user.id, position);
  }
  return map;
}
