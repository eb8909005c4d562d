import DataLoader from 'dataloader';
import type { Context } from '../common/index.js';
import type { ReadingRouteBoxType } from './reading-round.type.js';

export interface RouteLoaders {
  /** routeId -> its boxes in walking order, each with its count of installed meters of the route's station. */
  boxes: DataLoader<number, ReadingRouteBoxType[]>;
}

// One set per request: keyed by the request's loaders, which a subscription event renews.
const perRequest = new WeakMap<object, RouteLoaders>();

/** The routes' own loaders for this request (batched like the shared ones: no query per route). */
export function routeLoaders(ctx: Context): RouteLoaders {
  let loaders = perRequest.get(ctx.loaders);
  if (!loaders) {
    loaders = {
      boxes: new DataLoader<number, ReadingRouteBoxType[]>(async (routeIds) => {
        const rows: { route_id: number; seq: number; meter_box_id: number; meter_count: number | string }[] =
          await ctx.em.execute(
            `select rb.route_id, rb.seq, rb.meter_box_id,
                    (select count(*) from meter m join org_unit mu on mu.id = m.org_unit_id
                      where m.meter_box_id = rb.meter_box_id and m.status = 'INSTALLED'
                        and mu.path like st.path || '%') as meter_count
               from reading_route_box rb
               join reading_route r on r.id = rb.route_id
               join org_unit st on st.id = r.org_unit_id
              where rb.route_id in (${routeIds.map(() => '?').join(',')})
              order by rb.route_id, rb.seq`,
            [...routeIds],
          );
        const byRoute = new Map<number, ReadingRouteBoxType[]>();
        for (const r of rows) {
          const list = byRoute.get(Number(r.route_id)) ?? [];
          list.push({ seq: Number(r.seq), meterBoxId: Number(r.meter_box_id), meterCount: Number(r.meter_count) });
          byRoute.set(Number(r.route_id), list);
        }
        return routeIds.map((id) => byRoute.get(id) ?? []);
      }),
    };
    perRequest.set(ctx.loaders, loaders);
  }
  return loaders;
}
