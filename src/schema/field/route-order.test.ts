import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  haversineMeters,
  nearestNeighbour,
  orderRoute,
  twoOpt,
  walkLength,
  type LatLon,
  type RoutePoint,
} from './route-order.js';

const at = (latitude: number, longitude: number): LatLon => ({ latitude, longitude });

/** Where a reader starts: the Youjiang station yard. */
const START = at(23.9, 106.6);

/**
 * Fifteen meter boxes of a reading round, in the order the work order lists them (by address, not
 * by place): the naive route walks back and forth across the area.
 */
const ROUND: RoutePoint[] = [
  [101, 23.9102, 106.6151],
  [102, 23.9011, 106.6023],
  [103, 23.9155, 106.6012],
  [104, 23.9035, 106.6188],
  [105, 23.9121, 106.6075],
  [106, 23.9002, 106.6121],
  [107, 23.9168, 106.6177],
  [108, 23.9053, 106.6054],
  [109, 23.9139, 106.6133],
  [110, 23.9027, 106.6097],
  [111, 23.9084, 106.6199],
  [112, 23.9147, 106.6041],
  [113, 23.9066, 106.6112],
  [114, 23.9095, 106.6006],
  [115, 23.9178, 106.6088],
].map(([id, lat, lon]) => ({ id: id!, position: at(lat!, lon!) }));

const naiveLength = (points: RoutePoint[]) =>
  walkLength(
    START,
    points.map((p) => p.position!),
    points.map((_, i) => i),
  );

/** Whether segments p1-p2 and p3-p4 cross (in the lat/lon plane; fine over a few kilometres). */
function cross(p1: LatLon, p2: LatLon, p3: LatLon, p4: LatLon): boolean {
  const orient = (a: LatLon, b: LatLon, c: LatLon) =>
    Math.sign(
      (b.longitude - a.longitude) * (c.latitude - a.latitude) - (b.latitude - a.latitude) * (c.longitude - a.longitude),
    );
  return orient(p1, p2, p3) * orient(p1, p2, p4) < 0 && orient(p3, p4, p1) * orient(p3, p4, p2) < 0;
}

function crossings(start: LatLon, walk: LatLon[]): number {
  const nodes = [start, ...walk];
  let n = 0;
  for (let i = 0; i + 1 < nodes.length; i++)
    for (let j = i + 2; j + 1 < nodes.length; j++) if (cross(nodes[i]!, nodes[i + 1]!, nodes[j]!, nodes[j + 1]!)) n++;
  return n;
}

/** A deterministic shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('haversineMeters', () => {
  it('measures a degree of latitude as about 111.2 km, and a point to itself as 0', () => {
    expect(haversineMeters(at(23, 106), at(24, 106))).toBeCloseTo(111_195, -1);
    expect(haversineMeters(START, START)).toBe(0);
    // A degree of longitude shrinks with the cosine of the latitude.
    expect(haversineMeters(at(60, 10), at(60, 11))).toBeCloseTo(55_597, -1);
  });
});

describe('orderRoute', () => {
  it('gives the same route for the same stops, in whatever order they come', () => {
    const first = orderRoute(START, ROUND);
    expect(orderRoute(START, ROUND)).toEqual(first);
    for (const seed of [1, 2, 3, 42, 2026]) expect(orderRoute(START, shuffled(ROUND, seed))).toEqual(first);
    expect(first.legs.map((l) => l.id).sort()).toEqual(ROUND.map((p) => p.id).sort());
  });

  it('walks a reading round much shorter than the order the work order lists', () => {
    const route = orderRoute(START, ROUND);
    const naive = naiveLength(ROUND);
    expect(route.total).toBeLessThan(naive * 0.6);
    // And no longer than nearest neighbour alone, which 2-opt starts from.
    const positions = [...ROUND].sort((a, b) => a.id - b.id).map((p) => p.position!);
    expect(route.total).toBeLessThanOrEqual(walkLength(START, positions, nearestNeighbour(START, positions)) + 1e-6);
    expect(
      crossings(
        START,
        route.legs.map((l) => ROUND.find((p) => p.id === l.id)!.position!),
      ),
    ).toBe(0);
  });

  it('gives each stop its distance from the previous point and the distance walked so far', () => {
    const route = orderRoute(START, ROUND);
    let previous = START;
    let sum = 0;
    for (const leg of route.legs) {
      const here = ROUND.find((p) => p.id === leg.id)!.position!;
      expect(leg.distance).toBeCloseTo(haversineMeters(previous, here), 6);
      sum += leg.distance!;
      expect(leg.cumulative).toBeCloseTo(sum, 6);
      previous = here;
    }
    expect(route.total).toBeCloseTo(sum, 6);
  });

  it('answers an empty day with an empty route and a single stop with the walk to it', () => {
    expect(orderRoute(START, [])).toEqual({ legs: [], total: 0 });
    const one = orderRoute(START, [ROUND[0]!]);
    const distance = haversineMeters(START, ROUND[0]!.position!);
    expect(one).toEqual({ legs: [{ id: 101, distance, cumulative: distance }], total: distance });
  });

  it('puts stops without coordinates last, by id, adding nothing to the distance', () => {
    const route = orderRoute(START, [{ id: 9 }, ...ROUND.slice(0, 3), { id: 3 }]);
    expect(route.legs.slice(-2)).toEqual([
      { id: 3, distance: null, cumulative: route.total },
      { id: 9, distance: null, cumulative: route.total },
    ]);
    expect(route.total).toBeCloseTo(orderRoute(START, ROUND.slice(0, 3)).total, 9);
  });

  it('breaks ties between equally distant stops by the smaller id', () => {
    // Two boxes at the same place, and two at the same distance on either side of the start.
    const twins = [
      { id: 7, position: at(23.901, 106.6) },
      { id: 5, position: at(23.901, 106.6) },
    ];
    expect(orderRoute(START, twins).legs.map((l) => l.id)).toEqual([5, 7]);
    // Offsets a binary float holds exactly, so that both distances are the very same number.
    const centre = at(23.5, 106.5);
    const sides = [
      { id: 8, position: at(23.5, 106.75) },
      { id: 4, position: at(23.5, 106.25) },
    ];
    expect(orderRoute(centre, sides).legs.map((l) => l.id)).toEqual([4, 8]);
  });

  it('never walks farther than nearest neighbour, and visits every stop once (random rounds)', () => {
    const point = fc.record({
      latitude: fc.double({ min: 23.85, max: 23.95, noNaN: true }),
      longitude: fc.double({ min: 106.55, max: 106.65, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 25 }), (positions) => {
        const stops = positions.map((position, i) => ({ id: i + 1, position }));
        const route = orderRoute(START, stops);
        expect(route.legs.map((l) => l.id).sort((a, b) => a - b)).toEqual(stops.map((s) => s.id));
        const nn = walkLength(START, positions, nearestNeighbour(START, positions));
        expect(route.total).toBeLessThanOrEqual(nn + 1e-6);
      }),
      { numRuns: 200 },
    );
  });
});

describe('twoOpt', () => {
  it('removes a crossing: start, far corner, near corner, other corner becomes a walk around', () => {
    // S(0,0) -> A(1,1) -> B(0,1) -> C(1,0) in (lat, lon): S-A and B-C cross in the middle.
    const base = at(23.9, 106.6);
    const d = 0.01;
    const points = [at(23.9 + d, 106.6 + d), at(23.9 + d, 106.6), at(23.9, 106.6 + d)];
    const given = [0, 1, 2];
    expect(
      crossings(
        base,
        given.map((i) => points[i]!),
      ),
    ).toBe(1);
    const improved = twoOpt(base, points, given);
    expect(
      crossings(
        base,
        improved.map((i) => points[i]!),
      ),
    ).toBe(0);
    expect(walkLength(base, points, improved)).toBeLessThan(walkLength(base, points, given));
    // The shortest of all six walks (a degree of longitude is shorter than one of latitude here).
    const all = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ].map((order) => walkLength(base, points, order));
    expect(walkLength(base, points, improved)).toBeCloseTo(Math.min(...all), 6);
  });

  it('leaves a walk with nothing to gain as it is', () => {
    const points = [at(23.901, 106.6), at(23.902, 106.6), at(23.903, 106.6)];
    expect(twoOpt(START, points, [0, 1, 2])).toEqual([0, 1, 2]);
    expect(twoOpt(START, [], [])).toEqual([]);
  });
});
