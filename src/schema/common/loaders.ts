import { effectiveTimeZones } from '../../orm/org-time-zone.js';
import DataLoader from 'dataloader';
import { raw, type EntityName, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Access } from '../../auth/access.js';
import { localId as localIdOf } from './local-id.js';
import type { Subject } from '../../auth/permissions.js';
import { ORG_UNIT_VIA } from '../../auth/ability.js';
import {
  Alarm,
  BillLine,
  Customer,
  Meter,
  MeterAssignment,
  MeterBox,
  OrgUnit,
  Reading,
  ReadingVersion,
  RegisterCode,
  ServicePoint,
  Tariff,
  TariffVersion,
  TrainingRecord,
  User,
  WorkOrderAssignee,
  WorkOrderStop,
  type CustomerCategory,
} from '../../orm/entities/index.js';
import { groupBy } from '../../shared/group-by.js';

const and = <T>(...conditions: (FilterQuery<T> | undefined)[]): FilterQuery<T> =>
  ({ $and: conditions.filter((c) => c !== undefined) }) as FilterQuery<T>;

/** id -> row, restricted to the rows the user may read (a hidden relation resolves to null). */
export function readableById<T extends { id: number }>(
  em: EntityManager,
  access: Access,
  entity: EntityName<T>,
  subject: Subject,
) {
  return new DataLoader<number, T | null>(async (ids) => {
    const where = access.where<T>('read', subject);
    if (where === null) return ids.map(() => null);
    const rows = await em.find(entity, and<T>(where, { id: { $in: [...ids] } } as unknown as FilterQuery<T>));
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

export interface ChildPageKey {
  parentId: number;
  first: number;
}

/**
 * A page of children for many parents in one statement: row_number() over a partition per parent,
 * keeping the first `first + 1` of each (the extra row tells hasNextPage). In `order` (columns of
 * the child's table, id last), oldest first by default.
 */
function childPages<T extends { id: number }>(
  em: EntityManager,
  access: Access,
  entity: EntityName<T>,
  subject: Subject,
  parentProperty: string,
  parentColumn: string,
  order: readonly (readonly [column: string, direction: 'asc' | 'desc'])[] = [['id', 'asc']],
) {
  return new DataLoader<ChildPageKey, T[], string>(
    async (keys) => {
      const where = access.where<T>('read', subject);
      if (where === null) return keys.map(() => []);
      const parentIds = [...new Set(keys.map((k) => k.parentId))];
      const limit = Math.max(...keys.map((k) => k.first)) + 1;
      const inner = em
        .createQueryBuilder(entity, 'c')
        .select([
          'c.*',
          raw(
            `row_number() over (partition by c.${parentColumn} order by ${order.map(([c, d]) => `c.${c} ${d}`).join(', ')}) as page_rn`,
          ),
        ])
        .where(and<T>(where, { [parentProperty]: { $in: parentIds } } as FilterQuery<T>) as never);
      const knex = em.getKnex();
      const rows: Record<string, unknown>[] = await em.getConnection().execute(
        knex
          .select('*')
          .from(inner.getKnexQuery().as('p'))
          .where('page_rn', '<=', limit)
          .orderBy([{ column: 'p.' + parentColumn }, ...order.map(([c, d]) => ({ column: `p.${c}`, order: d }))]),
      );
      const grouped = new Map<number, T[]>();
      for (const row of rows) {
        const parentId = Number(row[parentColumn]);
        delete row.page_rn;
        const list = grouped.get(parentId) ?? [];
        list.push(em.map(entity, row as never));
        grouped.set(parentId, list);
      }
      return keys.map((k) => (grouped.get(k.parentId) ?? []).slice(0, k.first + 1));
    },
    { cacheKeyFn: (k) => `${k.parentId}:${k.first}` },
  );
}

/** parentId -> number of readable children, one GROUP BY for all parents. */
function childCounts<T extends object>(
  em: EntityManager,
  access: Access,
  entity: EntityName<T>,
  subject: Subject,
  parentProperty: string,
  parentColumn: string,
) {
  return new DataLoader<number, number>(async (parentIds) => {
    const where = access.where<T>('read', subject);
    if (where === null) return parentIds.map(() => 0);
    const rows: { parent: number; n: string }[] = await em
      .createQueryBuilder(entity, 'c')
      .select([raw(`c.${parentColumn} as parent`), raw('count(*) as n')])
      .where(and<T>(where, { [parentProperty]: { $in: [...parentIds] } } as FilterQuery<T>) as never)
      .groupBy(raw(`c.${parentColumn}`))
      .execute('all', false);
    const map = new Map(rows.map((r) => [Number(r.parent), Number(r.n)]));
    return parentIds.map((id) => map.get(id) ?? 0);
  });
}

/** The tables of the subjects whose rows field rules look at. */
const SUBJECT_ENTITIES: Partial<Record<Subject, EntityName<object>>> = {
  OrgUnit,
  MeterBox,
  Meter,
  Customer,
  ServicePoint,
  MeterAssignment,
  Reading,
  Alarm,
};

/**
 * "Subject:id" -> the materialised path of the unit the row belongs to (through ORG_UNIT_VIA, as
 * the row scopes), one statement per subject. Not scoped: it serves field rules on rows the user
 * already sees, and the path itself is never shown.
 */
function orgPaths(em: EntityManager) {
  return new DataLoader<string, string | null>(async (keys) => {
    const bySubject = new Map<Subject, string[]>();
    for (const key of keys) {
      const [subject, id] = key.split(':') as [Subject, string];
      bySubject.set(subject, [...(bySubject.get(subject) ?? []), id]);
    }
    const paths = new Map<string, string>();
    for (const [subject, ids] of bySubject) {
      const entity = SUBJECT_ENTITIES[subject];
      const via = ORG_UNIT_VIA[subject];
      if (!entity || !via) continue;
      const qb = em.createQueryBuilder(entity, 'r');
      let alias = 'r';
      via.forEach((relation, i) => {
        qb.join(`${alias}.${relation}`, `u${i}`);
        alias = `u${i}`;
      });
      const rows: { id: string | number; path: string }[] = await qb
        .select([raw('r.id as id'), raw(`${alias}.path as path`)])
        .where({ id: { $in: ids } } as never)
        .execute('all', false);
      for (const row of rows) paths.set(`${subject}:${row.id}`, row.path);
    }
    return keys.map((key) => paths.get(key) ?? null);
  });
}

export function createLoaders(em: EntityManager, access: Access, defaultTimeZone: string) {
  return {
    orgPath: orgPaths(em),

    /**
     * org path -> effective time zone (own, nearest ancestor, server default). Time zones are not
     * confidential, so ancestors outside the caller's scope are consulted too.
     */
    effectiveTimeZone: new DataLoader<string, string>((paths) => effectiveTimeZones(em, paths, defaultTimeZone)),

    orgUnit: readableById(em, access, OrgUnit, 'OrgUnit'),
    meterBox: readableById(em, access, MeterBox, 'MeterBox'),
    meter: readableById(em, access, Meter, 'Meter'),
    customer: readableById(em, access, Customer, 'Customer'),
    servicePoint: readableById(em, access, ServicePoint, 'ServicePoint'),
    user: readableById(em, access, User, 'User'),
    tariff: readableById(em, access, Tariff, 'Tariff'),

    /** category -> its default tariff (null: none, or tariffs are not readable). */
    defaultTariff: new DataLoader<CustomerCategory, Tariff | null>(async (categories) => {
      const where = access.where<Tariff>('read', 'Tariff');
      if (where === null) return categories.map(() => null);
      const rows = await em.find(
        Tariff,
        and<Tariff>(where, { customerCategory: { $in: [...categories] }, isDefault: true }),
      );
      return categories.map((c) => rows.find((r) => r.customerCategory === c) ?? null);
    }),

    /** tariffId -> its versions, oldest first (the caller has read the tariff). */
    tariffVersions: new DataLoader<number, TariffVersion[]>(async (ids) => {
      const rows = await em.find(TariffVersion, { tariff: { $in: [...ids] } }, { orderBy: { effectiveFrom: 'asc' } });
      return ids.map((id) => rows.filter((r) => r.tariff.id === id));
    }),
    orgUnitChildren: childPages(em, access, OrgUnit, 'OrgUnit', 'parent', 'parent_id'),
    orgUnitChildCount: childCounts(em, access, OrgUnit, 'OrgUnit', 'parent', 'parent_id'),
    orgUnitMeters: childPages(em, access, Meter, 'Meter', 'orgUnit', 'org_unit_id'),
    orgUnitMeterCount: childCounts(em, access, Meter, 'Meter', 'orgUnit', 'org_unit_id'),
    meterBoxMeters: childPages(em, access, Meter, 'Meter', 'meterBox', 'meter_box_id'),
    meterBoxMeterCount: childCounts(em, access, Meter, 'Meter', 'meterBox', 'meter_box_id'),
    customerServicePoints: childPages(em, access, ServicePoint, 'ServicePoint', 'customer', 'customer_id'),
    customerServicePointCount: childCounts(em, access, ServicePoint, 'ServicePoint', 'customer', 'customer_id'),
    userTrainingRecords: childPages(em, access, TrainingRecord, 'TrainingRecord', 'user', 'user_id', [
      ['completed_on', 'desc'],
      ['id', 'desc'],
    ]),
    userTrainingRecordCount: childCounts(em, access, TrainingRecord, 'TrainingRecord', 'user', 'user_id'),

    /**
     * readingId -> its earlier versions, oldest first, one query per page of readings. Not scoped
     * again: the readings were loaded through the caller's read rule, and their versions are part
     * of them.
     */
    readingVersions: new DataLoader<string, ReadingVersion[]>(async (ids) => {
      const rows = await em.find(
        ReadingVersion,
        { reading: { $in: [...ids] } },
        { orderBy: { reading: 'asc', version: 'asc' } },
      );
      const grouped = new Map<string, ReadingVersion[]>();
      for (const row of rows) {
        const key = String(row.reading.id);
        grouped.set(key, [...(grouped.get(key) ?? []), row]);
      }
      return ids.map((id) => grouped.get(String(id)) ?? []);
    }),

    /** meterId -> the open assignment (which service point, hence which customer, it measures now). */
    openAssignmentByMeter: new DataLoader<number, MeterAssignment | null>(async (meterIds) => {
      const where = access.where<MeterAssignment>('read', 'MeterAssignment');
      if (where === null) return meterIds.map(() => null);
      const rows = await em.find(
        MeterAssignment,
        and<MeterAssignment>(where, { meter: { $in: [...meterIds] }, removedAt: null }),
      );
      const map = new Map(rows.map((r) => [r.meter.id, r]));
      return meterIds.map((id) => map.get(id) ?? null);
    }),

    /** billId -> its lines in order; the bill itself was loaded through the caller's rules. */
    billLines: new DataLoader<number, BillLine[]>(async (ids) => {
      const rows = await em.find(BillLine, { bill: { $in: [...ids] } }, { orderBy: { bill: 'asc', position: 'asc' } });
      return ids.map((id) => rows.filter((r) => r.bill.id === id));
    }),

    /** workOrderId -> its assignees, first assigned first; the order was loaded through the caller's rules. */
    workOrderAssignees: new DataLoader<number, WorkOrderAssignee[]>(async (ids) => {
      const rows = await em.find(WorkOrderAssignee, { workOrder: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
      const groups = groupBy(rows, (r) => r.workOrder.id);
      return ids.map((id) => groups.get(id) ?? []);
    }),

    /** workOrderId -> its stops in planned order (likewise). */
    workOrderStops: new DataLoader<number, WorkOrderStop[]>(async (ids) => {
      const rows = await em.find(
        WorkOrderStop,
        { workOrder: { $in: [...ids] } },
        { orderBy: { workOrder: 'asc', seq: 'asc' } },
      );
      const groups = groupBy(rows, (r) => r.workOrder.id);
      return ids.map((id) => groups.get(id) ?? []);
    }),

    /** servicePointId -> all assignments, oldest first (meter history). */
    assignmentsByServicePoint: new DataLoader<number, MeterAssignment[]>(async (ids) => {
      const where = access.where<MeterAssignment>('read', 'MeterAssignment');
      if (where === null) return ids.map(() => []);
      const rows = await em.find(MeterAssignment, and<MeterAssignment>(where, { servicePoint: { $in: [...ids] } }), {
        orderBy: { installedAt: 'asc', id: 'asc' },
      });
      return ids.map((id) => rows.filter((r) => r.servicePoint.id === id));
    }),

    /**
     * (meterId, register) -> newest reading. One LATERAL ... LIMIT 1 per pair walks the unique
     * (meter, register, time) index backwards, so the cost does not grow with a meter's history.
     * The reading scope is applied to the meters first (the same rule, expressed on meters).
     */
    latestReading: new DataLoader<{ meterId: number; register: RegisterCode }, Reading | null, string>(
      async (keys) => {
        const meterWhere = access.whereOn<Meter>('read', 'Reading', 'Meter');
        if (meterWhere === null) return keys.map(() => null);
        let meterIds = [...new Set(keys.map((k) => k.meterId))];
        if (Object.keys(meterWhere).length) {
          const allowed = await em.find(Meter, { $and: [meterWhere, { id: { $in: meterIds } }] }, { fields: ['id'] });
          meterIds = allowed.map((m) => m.id);
        }
        const registers = [...new Set(keys.map((k) => k.register))];
        if (!meterIds.length) return keys.map(() => null);
        const rows: Record<string, unknown>[] = await em.getConnection().execute(
          `select r.* from unnest(array[${meterIds.map(() => '?').join(',')}]::int[]) as m(id)
           cross join unnest(array[${registers.map(() => '?').join(',')}]::text[]) as g(register)
           cross join lateral (
             select * from reading x where x.meter_id = m.id and x.register = g.register
             order by x.measured_at desc limit 1
           ) r`,
          [...meterIds, ...registers],
        );
        const map = new Map<string, Reading>();
        for (const row of rows) {
          const reading = em.map(Reading, row as never);
          map.set(`${reading.meter.id}:${reading.register}`, reading);
        }
        return keys.map((k) => map.get(`${k.meterId}:${k.register}`) ?? null);
      },
      { cacheKeyFn: (k) => `${k.meterId}:${k.register}` },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

const moduleLoaders = new WeakMap<Loaders, Map<unknown, unknown>>();

/**
 * A feature module's own loaders of this request, made by `create` on first use. They are kept
 * beside the request's loaders, which a long-lived operation replaces when it starts over
 * (renewRequestState), so they start over with them.
 */
export function perRequest<C extends { loaders: Loaders }, T>(ctx: C, create: (ctx: C) => T): T {
  let sets = moduleLoaders.get(ctx.loaders);
  if (!sets) {
    sets = new Map();
    moduleLoaders.set(ctx.loaders, sets);
  }
  if (!sets.has(create)) sets.set(create, create(ctx));
  return sets.get(create) as T;
}

/** Long-lived operations (subscriptions): start over with a new EntityManager and empty loader caches. */
export function renewRequestState(ctx: {
  em: EntityManager;
  access: Access;
  loaders: Loaders;
  config: { defaultTimeZone: string };
}): void {
  ctx.em = ctx.em.fork();
  ctx.loaders = createLoaders(ctx.em, ctx.access, ctx.config.defaultTimeZone);
}

const eventRows = new Map<string, { at: number; row: Promise<unknown> }>();
const EVENT_ROW_TTL_MS = 2000;

/**
 * The row an event is about, loaded once for all subscribers of that event (they all resolve the
 * same new row within moments). Each subscriber still loads relations through its own loaders.
 */
export function sharedEventRow<T>(key: string, load: (em: EntityManager) => Promise<T>, em: EntityManager): Promise<T> {
  const now = Date.now();
  for (const [k, v] of eventRows) if (now - v.at > EVENT_ROW_TTL_MS) eventRows.delete(k);
  let entry = eventRows.get(key);
  if (!entry) {
    entry = { at: now, row: load(em.fork()) };
    eventRows.set(key, entry);
  }
  return entry.row as Promise<T>;
}

/** The path of a subtree filter's root, looked up once per subscription operation. */
export async function subtreePath(
  ctx: { em: EntityManager; memo: Map<string, Promise<unknown>> },
  globalId: string,
  path: (string | number)[],
): Promise<string | undefined> {
  const key = `subtree:${globalId}`;
  if (!ctx.memo.has(key)) {
    const id = localIdOf(globalId, 'OrgUnit', path);
    ctx.memo.set(
      key,
      ctx.em
        .fork()
        .findOne(OrgUnit, { id })
        .then((u) => u?.path),
    );
  }
  return ctx.memo.get(key) as Promise<string | undefined>;
}
