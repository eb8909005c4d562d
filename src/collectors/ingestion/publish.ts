import type { Events } from '../../shared/events.js';
import type { Logger } from '../../shared/logger.js';
import type { SqlExecutor, WrittenReading } from './readings.js';

/**
 * Publishes stored readings to subscribers. Events carry the meter's org path so that each
 * subscriber's permissions can be checked; paths are cached (a moved meter is refreshed after
 * `ttlMs`).
 */
export function readingPublisher(db: SqlExecutor, events: Events, logger: Logger, ttlMs = 60_000) {
  const paths = new Map<number, { path: string; at: number }>();
  return (rows: WrittenReading[]) => {
    void (async () => {
      const now = Date.now();
      const missing = [...new Set(rows.map((r) => r.meterId))].filter((id) => {
        const hit = paths.get(id);
        return !hit || now - hit.at > ttlMs;
      });
      if (missing.length) {
        const found = await db.execute<{ id: number; path: string }>(
          `select m.id, o.path from meter m join org_unit o on o.id = m.org_unit_id where m.id in (${missing.map(() => '?').join(',')})`,
          missing,
        );
        for (const f of found) paths.set(Number(f.id), { path: f.path, at: now });
      }
      for (const row of rows) {
        const orgPath = paths.get(row.meterId)?.path;
        if (orgPath) events.publish('READING_RECORDED', { readingId: row.id, meterId: row.meterId, orgPath });
      }
    })().catch((error: unknown) => logger.warn({ err: error }, 'publishing readings failed'));
  };
}
