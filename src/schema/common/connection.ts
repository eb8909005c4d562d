import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { ArgsType, Field, Int, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import { badField } from '../../shared/errors.js';
import { fitsKey } from '../../shared/global-id.js';

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(OrderDirection, { name: 'OrderDirection' });

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor?: string | null;

  @Field(() => String, { nullable: true })
  endCursor?: string | null;
}

/** Nested lists take a page size only; page further through the root list with a filter. */
@ArgsType()
export class FirstArgs {
  @Field(() => Int, { nullable: true, description: 'Page size; at most the server maximum (default 20).' })
  first?: number;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size; at most the server maximum (default 20).' })
  first?: number;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge already seen.' })
  after?: string;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** A page. `totalCount` is a getter: the count query runs only when a client selects the field. */
export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  readonly totalCount: Promise<number> | number;
}

/** Adds the lazy `totalCount` getter (a spread would call it, so it is defined in place). */
function withLazyCount<T>(page: Omit<Connection<T>, 'totalCount'>, count: () => Promise<number>): Connection<T> {
  let pending: Promise<number> | undefined;
  return Object.defineProperty(page, 'totalCount', {
    get: () => (pending ??= count()),
    enumerable: true,
  }) as Connection<T>;
}

/** Builds `XConnection` and `XEdge` object types for a node type. */
export function ConnectionType<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionClass {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => [node], { description: 'The nodes of `edges`, for clients that need no cursors.' })
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int)
    totalCount!: number;
  }
  return ConnectionClass;
}

export const emptyConnection = <T>(): Connection<T> => ({
  edges: [],
  nodes: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  totalCount: 0,
});

type CursorValue = string | number;

export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorValue[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      parsed.every((v) => typeof v === 'string' || typeof v === 'number')
    ) {
      return parsed as CursorValue[];
    }
  } catch {
    /* fall through */
  }
  throw badField(['after'], 'is not a cursor returned by this list');
}

export function pageSize(first: number | undefined, max: number, path: string[] = ['first']): number {
  if (first === undefined || first === null) return Math.min(20, max);
  if (!Number.isInteger(first) || first < 0 || first > max) throw badField(path, `must be between 0 and ${max}`);
  return first;
}

export interface Order {
  /** Entity property to sort on (non-null); ties are broken by id. */
  field: string;
  direction: OrderDirection;
}

const cursorValue = (v: unknown): CursorValue => (v instanceof Date ? v.toISOString() : (v as CursorValue));

/**
 * Keyset pagination over one sort field plus id: stable under inserts, index-friendly, and the
 * count is a separate lazy query with the same `where`.
 */
export async function paginate<T extends { id: number | string }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T> | null,
  args: PageArgs,
  order: Order,
  maxPageSize: number,
  isDate = false,
): Promise<Connection<T>> {
  const limit = pageSize(args.first, maxPageSize);
  if (where === null) return emptyConnection();
  const conditions: FilterQuery<T>[] = [where];
  if (args.after) {
    const [value, id] = decodeCursor(args.after);
    // A cursor is opaque to clients but arrives from them: check it before it reaches SQL.
    const validId =
      (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) ||
      (typeof id === 'string' && fitsKey(id, 'bigint'));
    const validValue = isDate
      ? typeof value === 'string' && !Number.isNaN(Date.parse(value))
      : order.field === 'id' || typeof value === 'string' || typeof value === 'number';
    if (!validId || !validValue) throw badField(['after'], 'is not a cursor returned by this list');
    const op = order.direction === OrderDirection.ASC ? '$gt' : '$lt';
    const v = isDate ? new Date(String(value)) : value;
    // The bound on the sort field alone (redundant with the $or) is what lets PostgreSQL start an
    // index scan at the cursor; without it a deep page walks and filters every row before it.
    const bound = order.direction === OrderDirection.ASC ? '$gte' : '$lte';
    conditions.push(
      (order.field === 'id'
        ? { id: { [op]: id } }
        : {
            [order.field]: { [bound]: v },
            $or: [{ [order.field]: { [op]: v } }, { [order.field]: v, id: { [op]: id } }],
          }) as unknown as FilterQuery<T>,
    );
  }
  const dir = order.direction === OrderDirection.ASC ? 'asc' : 'desc';
  const finalWhere = (conditions.length === 1 ? where : { $and: conditions }) as FilterQuery<T>;
  const rows =
    limit === 0
      ? []
      : await em.find(entity, finalWhere, {
          orderBy: (order.field === 'id' ? { id: dir } : { [order.field]: dir, id: dir }) as never,
          limit: limit + 1,
        });
  const hasNextPage = rows.length > limit;
  const nodes = rows.slice(0, limit);
  const edges = nodes.map((node) => ({
    node,
    cursor: encodeCursor([cursorValue((node as Record<string, unknown>)[order.field]), cursorValue(node.id)]),
  }));
  const page = {
    edges,
    nodes,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
  return withLazyCount(page, () => em.count(entity, where));
}

/** Wraps an already-fetched page (e.g. from a batched nested query) as a connection. */
export function connectionOf<T extends { id: number | string }>(
  rows: T[],
  limit: number,
  totalCount: () => Promise<number>,
): Connection<T> {
  const nodes = rows.slice(0, limit);
  const edges = nodes.map((node) => ({ node, cursor: encodeCursor(['', cursorValue(node.id)]) }));
  const page = {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
  return withLazyCount(page, totalCount);
}
