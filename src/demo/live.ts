import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Events } from '../schema/common/events.js';
import type { Logger } from '../shared/logger.js';

/**
 * Live demo meters: every tick a handful of simulated meters report their total register a little
 * higher than before, and subscribers see the readings arrive. (The collection runtime with real
 * protocol collectors and the simulator plugin replaces this.)
 */
export function startLiveDemo(orm: MikroORM, events: Events, logger: Logger, intervalMs: number): () => Promise<void> {
  let running: Promise<void> | undefined;
  let tick = 0;
  const step = async () => {
    const em = orm.em.fork() as EntityManager;
    tick++;
    const rows: { reading_id: string; meter_id: number; path: string }[] = await em.getConnection().execute(
      `with picked as (
         select m.id, o.path from meter m join org_unit o on o.id = m.org_unit_id
         where m.protocol = 'SIMULATED' and m.status = 'INSTALLED'
         order by md5(m.id::text || ?) limit 8
       ), latest as (
         select distinct on (r.meter_id) r.meter_id, r.value from reading r
         join picked p on p.id = r.meter_id
         where r.register = 'FORWARD_ACTIVE_TOTAL' order by r.meter_id, r.measured_at desc
       )
       insert into reading (meter_id, register, value, measured_at, received_at, source, quality)
       select l.meter_id, 'FORWARD_ACTIVE_TOTAL', round(l.value + 0.01 + random()::numeric * 0.2, 2), date_trunc('second', now()), now(), 'AUTOMATIC', 'GOOD'
       from latest l
       on conflict do nothing
       returning id as reading_id, meter_id, (select path from picked where picked.id = reading.meter_id) as path`,
      [String(tick)],
    );
    for (const row of rows)
      events.publish('READING_RECORDED', {
        readingId: String(row.reading_id),
        meterId: row.meter_id,
        orgPath: row.path,
      });
  };
  const timer = setInterval(() => {
    if (running) return;
    running = step()
      .catch((error: unknown) => logger.warn({ err: error }, 'live demo tick failed'))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
