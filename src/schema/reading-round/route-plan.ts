/**
 * Reading routes from the archive, as pure functions: which boxes are read on which billing day
 * and in which reading window, and the order they are walked in.
 */

/** One installed meter of a customer of the station, with its box and its customer's reading terms. */
export interface RouteMeterRow {
  boxId: number;
  barcode: string;
  latitude?: string | null;
  longitude?: string | null;
  billingDay: number;
  windowStart: string;
  windowEnd: string;
}

export interface PlannedRoute {
  readingDay: number;
  windowStart: string;
  windowEnd: string;
  /** In walking order. */
  boxIds: number[];
}

export interface WalkBox {
  id: number;
  barcode: string;
  latitude?: string | null;
  longitude?: string | null;
}

const termsKey = (r: { billingDay: number; windowStart: string; windowEnd: string }) =>
  `${String(r.billingDay).padStart(2, '0')} ${r.windowStart} ${r.windowEnd}`;

/**
 * One route per (billing day, reading window). A box is read once, on the terms most of its meters'
 * customers have (a box holds several customers, whose billing days can differ); a tie goes to the
 * earlier day, then the earlier window. Routes come by day, then window.
 */
export function planRoutes(rows: readonly RouteMeterRow[]): PlannedRoute[] {
  const boxes = new Map<number, { box: WalkBox; votes: Map<string, number> }>();
  for (const row of rows) {
    let entry = boxes.get(row.boxId);
    if (!entry) {
      entry = {
        box: { id: row.boxId, barcode: row.barcode, latitude: row.latitude, longitude: row.longitude },
        votes: new Map(),
      };
      boxes.set(row.boxId, entry);
    }
    const key = termsKey(row);
    entry.votes.set(key, (entry.votes.get(key) ?? 0) + 1);
  }
  const routes = new Map<string, WalkBox[]>();
  for (const { box, votes } of boxes.values()) {
    // Keys sort as day, then window start, then end: the first of the most voted wins a tie.
    const [key] = [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    routes.set(key, [...(routes.get(key) ?? []), box]);
  }
  return [...routes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, list]) => {
      const [day, windowStart, windowEnd] = key.split(' ') as [string, string, string];
      return { readingDay: Number(day), windowStart, windowEnd, boxIds: walkOrder(list) };
    });
}

const located = (b: WalkBox): b is WalkBox & { latitude: string; longitude: string } =>
  b.latitude != null && b.longitude != null;
const byBarcode = (a: WalkBox, b: WalkBox) => (a.barcode < b.barcode ? -1 : a.barcode > b.barcode ? 1 : a.id - b.id);

/**
 * The order to walk boxes in: from the box with the first barcode among those with a position,
 * always on to the nearest box not yet visited (ties: the first barcode); then the boxes without a
 * position, by barcode. Distances on a local flat projection (a route spans a few kilometres);
 * they only order boxes, nothing is measured or billed with them.
 */
export function walkOrder(boxes: readonly WalkBox[]): number[] {
  const withPosition = boxes.filter(located).sort(byBarcode);
  const without = boxes.filter((b) => !located(b)).sort(byBarcode);
  const points = withPosition.map((b) => ({ box: b, lat: Number(b.latitude), lon: Number(b.longitude) }));
  const order: number[] = [];
  let current = points.shift();
  while (current) {
    order.push(current.box.id);
    const from = current;
    const scale = Math.cos((from.lat * Math.PI) / 180);
    let best = -1;
    let bestDistance = Infinity;
    points.forEach((p, i) => {
      const dx = (p.lon - from.lon) * scale;
      const dy = p.lat - from.lat;
      const distance = dx * dx + dy * dy;
      // Points are in barcode order: a strictly shorter distance is needed to pass an earlier one.
      if (distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    });
    current = best >= 0 ? points.splice(best, 1)[0] : undefined;
  }
  return [...order, ...without.map((b) => b.id)];
}
