/**
 * The order to visit a day's stops in (paper 3.4: GPS navigation for reading rounds): nearest
 * neighbour from where the worker stands, then 2-opt until no reversal shortens the walk. Distances
 * are great-circle (haversine) metres between coordinates, which is what a phone knows without a
 * road map; the order is a good one, not a proven shortest one.
 *
 * Deterministic: the same stops in any input order give the same route. Points are taken in id
 * order, ties between equal distances go to the smaller id, and 2-opt scans its pairs in a fixed
 * order. Stops without coordinates cannot be placed: they come last, by id.
 */

export interface LatLon {
  latitude: number;
  longitude: number;
}

export interface RoutePoint {
  id: number;
  /** Absent when the stop has no known position. */
  position?: LatLon;
}

export interface RouteLeg {
  id: number;
  /** Metres from the previous point (the start for the first); null for a stop without coordinates. */
  distance: number | null;
  /** Metres walked from the start to this point; stops without coordinates add nothing. */
  cumulative: number;
}

export interface Route {
  legs: RouteLeg[];
  /** Metres from the start through every stop with coordinates. */
  total: number;
}

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS_M = 6_371_008.8;
const rad = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance between two WGS-84 positions, metres. */
export function haversineMeters(a: LatLon, b: LatLon): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** 2-opt stops once a pass gains less than this (metres): float noise must not flip an order. */
const MIN_GAIN_M = 1e-6;
/** Passes of 2-opt at most; each is O(n^2), and a handful usually suffice. */
const MAX_PASSES = 50;

/** Distances between the start (index 0) and the points (1..n), once. */
function distanceMatrix(start: LatLon, points: readonly LatLon[]): (i: number, j: number) => number {
  const all = [start, ...points];
  const n = all.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) d[i * n + j] = d[j * n + i] = haversineMeters(all[i]!, all[j]!);
  return (i, j) => d[i * n + j]!;
}

/**
 * Visiting order (indices into `points`) by nearest neighbour from `start`. `points` must be in id
 * order: the strict comparison then sends ties to the smaller id.
 */
export function nearestNeighbour(start: LatLon, points: readonly LatLon[]): number[] {
  const dist = distanceMatrix(start, points);
  const left = new Set(points.map((_, i) => i));
  const order: number[] = [];
  let at = 0; // matrix index: 0 is the start, i + 1 is points[i]
  while (left.size) {
    let best = -1;
    let bestDistance = Infinity;
    for (const i of left) {
      const d = dist(at, i + 1);
      if (d < bestDistance) {
        best = i;
        bestDistance = d;
      }
    }
    order.push(best);
    left.delete(best);
    at = best + 1;
  }
  return order;
}

/**
 * Improves an open walk from `start` through `points` in `order` (indices) by 2-opt: reverses the
 * stretch order[i..k] whenever that shortens the walk, until a whole pass finds nothing. The start
 * stays first; the walk may end anywhere.
 */
export function twoOpt(start: LatLon, points: readonly LatLon[], order: readonly number[]): number[] {
  const dist = distanceMatrix(start, points);
  const route = [...order];
  const n = route.length;
  // Matrix index of the node before position i (the start before the first).
  const node = (position: number) => (position < 0 ? 0 : route[position]! + 1);
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let improved = false;
    for (let i = 0; i < n - 1; i++) {
      for (let k = i + 1; k < n; k++) {
        const before = node(i - 1);
        const first = node(i);
        const last = node(k);
        // Reversing order[i..k] swaps the edges (before, first) and (last, after) for (before, last)
        // and (first, after); at the end of the walk there is no `after`.
        const after = k + 1 < n ? node(k + 1) : -1;
        const removed = dist(before, first) + (after >= 0 ? dist(last, after) : 0);
        const added = dist(before, last) + (after >= 0 ? dist(first, after) : 0);
        if (removed - added > MIN_GAIN_M) {
          for (let a = i, b = k; a < b; a++, b--) [route[a], route[b]] = [route[b]!, route[a]!];
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return route;
}

/** The length of an open walk from `start` through `points` in `order`, metres. */
export function walkLength(start: LatLon, points: readonly LatLon[], order: readonly number[]): number {
  let total = 0;
  let at = start;
  for (const i of order) {
    total += haversineMeters(at, points[i]!);
    at = points[i]!;
  }
  return total;
}

/** The day's route: nearest neighbour then 2-opt over the stops with coordinates, the rest last. */
export function orderRoute(start: LatLon, stops: readonly RoutePoint[]): Route {
  const sorted = [...stops].sort((a, b) => a.id - b.id);
  const placed = sorted.filter((s) => s.position);
  const unplaced = sorted.filter((s) => !s.position);
  const positions = placed.map((s) => s.position!);
  const order = twoOpt(start, positions, nearestNeighbour(start, positions));
  const legs: RouteLeg[] = [];
  let at = start;
  let cumulative = 0;
  for (const i of order) {
    const distance = haversineMeters(at, positions[i]!);
    cumulative += distance;
    legs.push({ id: placed[i]!.id, distance, cumulative });
    at = positions[i]!;
  }
  for (const stop of unplaced) legs.push({ id: stop.id, distance: null, cumulative });
  return { legs, total: cumulative };
}
