import { createHmac } from 'node:crypto';

/** The `prevHash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a record's hash covers: every column but the hashes themselves. */
export interface AuditContent {
  id: string;
  at: Date;
  actorId?: number | null;
  actor?: string | null;
  actorRole?: string | null;
  ip?: string | null;
  requestId?: string | null;
  action: string;
  outcome: string;
  details: string;
}

/** JSON with object keys sorted, so that equal content always gives equal text (and hash). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * HMAC-SHA256 over the previous record's hash and this record's content. Keyed, so that someone
 * who can write to the database but does not hold AUDIT_KEY cannot recompute the chain after an
 * edit.
 */
export function recordHash(key: Buffer, prevHash: string, c: AuditContent): string {
  const body = canonicalJson([
    c.id,
    c.at.toISOString(),
    c.actorId ?? null,
    c.actor ?? null,
    c.actorRole ?? null,
    c.ip ?? null,
    c.requestId ?? null,
    c.action,
    c.outcome,
    c.details,
  ]);
  return createHmac('sha256', key).update(prevHash).update('\n').update(body).digest('hex');
}

export interface StoredRecord extends AuditContent {
  prevHash: string;
  hash: string;
}

/** Where verification stands after the rows seen so far. */
export interface ChainState {
  lastId: bigint;
  lastHash: string;
  checked: number;
  firstBrokenId?: string;
}

export const chainStart = (): ChainState => ({ lastId: 0n, lastHash: GENESIS_HASH, checked: 0 });

/**
 * Checks the next rows in id order. A row is broken when its id does not follow the previous one
 * (a deleted row), when it does not point at the previous row's hash (deleted or reordered), or when
 * its content no longer gives its hash (edited). Stops at the first broken row.
 */
export function checkRows(key: Buffer, state: ChainState, rows: StoredRecord[]): ChainState {
  for (const row of rows) {
    if (state.firstBrokenId !== undefined) break;
    state.checked += 1;
    const expected = recordHash(key, state.lastHash, row);
    if (BigInt(row.id) !== state.lastId + 1n || row.prevHash !== state.lastHash || row.hash !== expected) {
      state.firstBrokenId = row.id;
      break;
    }
    state.lastId = BigInt(row.id);
    state.lastHash = row.hash;
  }
  return state;
}
