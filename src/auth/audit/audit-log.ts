import type { EntityManager } from '@mikro-orm/postgresql';
import { canonicalJson, chainStart, checkRows, GENESIS_HASH, recordHash, type StoredRecord } from './chain.js';
import type { AuditEntry } from './trail.js';

export interface Where {
  ip?: string;
  requestId?: string;
}

const TABLE_LOCK = 'lock table "audit_record" in exclusive mode';

/**
 * Appends records to the chain in one transaction. The table lock (readers are not blocked) puts
 * concurrent appenders from every process in one order, so that each record follows the last
 * committed one and ids stay consecutive.
 */
export async function appendAudit(em: EntityManager, key: Buffer, entries: AuditEntry[], where: Where = {}) {
  if (!entries.length) return;
  await em.fork().transactional(async (tx) => {
    await tx.execute(TABLE_LOCK);
    const [last] = await tx.execute<{ id: string; hash: string }[]>(
      'select id::text as id, hash from audit_record order by audit_record.id desc limit 1',
    );
    let id = BigInt(last?.id ?? 0);
    let prevHash = last?.hash ?? GENESIS_HASH;
    for (const entry of entries) {
      id += 1n;
      const content = {
        id: id.toString(),
        at: new Date(),
        actorId: entry.actor?.id ?? null,
        actor: entry.actor?.username ?? null,
        actorRole: entry.actor?.role ?? null,
        ip: where.ip?.slice(0, 64) ?? null,
        requestId: where.requestId?.slice(0, 64) ?? null,
        action: entry.action.slice(0, 64),
        outcome: entry.outcome.slice(0, 32),
        details: canonicalJson(entry.details),
      };
      const hash = recordHash(key, prevHash, content);
      await tx.execute(
        `insert into audit_record (id, at, actor_id, actor, actor_role, ip, request_id, action, outcome, details, prev_hash, hash)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          content.id,
          content.at,
          content.actorId,
          content.actor,
          content.actorRole,
          content.ip,
          content.requestId,
          content.action,
          content.outcome,
          content.details,
          prevHash,
          hash,
        ],
      );
      prevHash = hash;
    }
  });
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstBrokenId: string | null;
  /** The newest record's id and hash: keep them outside the database to detect a cut-off tail. */
  lastId: string | null;
  lastHash: string | null;
}

const BATCH = 5000;

interface Row {
  id: string;
  at: Date | string;
  actor_id: number | null;
  actor: string | null;
  actor_role: string | null;
  ip: string | null;
  request_id: string | null;
  action: string;
  outcome: string;
  details: string;
  prev_hash: string;
  hash: string;
}

const stored = (r: Row): StoredRecord => ({
  id: r.id,
  at: new Date(r.at),
  actorId: r.actor_id,
  actor: r.actor,
  actorRole: r.actor_role,
  ip: r.ip,
  requestId: r.request_id,
  action: r.action,
  outcome: r.outcome,
  details: r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** Walks the whole chain in id order, in batches, and stops at the first broken record. */
export async function verifyAuditLog(em: EntityManager, key: Buffer): Promise<VerifyResult> {
  const state = chainStart();
  const conn = em.fork();
  for (;;) {
    const rows = await conn.execute<Row[]>(
      `select id::text as id, at, actor_id, actor, actor_role, ip, request_id, action, outcome, details, prev_hash, hash
       from audit_record where audit_record.id > ? order by audit_record.id limit ${BATCH}`,
      [state.lastId.toString()],
    );
    checkRows(key, state, rows.map(stored));
    if (state.firstBrokenId !== undefined || rows.length < BATCH) break;
  }
  const ok = state.firstBrokenId === undefined;
  return {
    ok,
    checked: state.checked,
    firstBrokenId: state.firstBrokenId ?? null,
    lastId: state.lastId ? state.lastId.toString() : null,
    lastHash: state.lastId ? state.lastHash : null,
  };
}
