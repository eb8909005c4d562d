import { describe, expect, it } from 'vitest';
import { planRoutes, walkOrder, type RouteMeterRow } from './route-plan.js';

const row = (boxId: number, billingDay: number, extra: Partial<RouteMeterRow> = {}): RouteMeterRow => ({
  boxId,
  barcode: `MB${String(boxId).padStart(3, '0')}`,
  billingDay,
  windowStart: '00:00',
  windowEnd: '06:00',
  ...extra,
});

describe('reading routes from the archive', () => {
  it('makes one route per billing day and reading window, by day then window', () => {
    const routes = planRoutes([
      row(1, 8),
      row(2, 1),
      row(3, 8, { windowStart: '08:00', windowEnd: '12:00' }),
      row(4, 1),
    ]);
    expect(routes).toEqual([
      { readingDay: 1, windowStart: '00:00', windowEnd: '06:00', boxIds: [2, 4] },
      { readingDay: 8, windowStart: '00:00', windowEnd: '06:00', boxIds: [1] },
      { readingDay: 8, windowStart: '08:00', windowEnd: '12:00', boxIds: [3] },
    ]);
  });

  it('puts a box on the terms most of its customers have, a tie going to the earlier day', () => {
    // Box 1: days 15, 15, 8 -> 15. Box 2: days 22, 8 -> 8 (tie, earlier day).
    const routes = planRoutes([row(1, 15), row(1, 15), row(1, 8), row(2, 22), row(2, 8)]);
    expect(routes.map((r) => [r.readingDay, r.boxIds])).toEqual([
      [8, [2]],
      [15, [1]],
    ]);
    // A tie on the same day goes to the earlier window.
    const windows = planRoutes([
      row(5, 3, { windowStart: '09:00', windowEnd: '11:00' }),
      row(5, 3, { windowStart: '07:00', windowEnd: '08:00' }),
    ]);
    expect(windows).toEqual([{ readingDay: 3, windowStart: '07:00', windowEnd: '08:00', boxIds: [5] }]);
  });

  it('walks from the first barcode to the nearest box each time, boxes without a position last by barcode', () => {
    const boxes = [
      { id: 10, barcode: 'B', latitude: '23.900000', longitude: '106.600000' },
      { id: 11, barcode: 'A', latitude: '23.903000', longitude: '106.600000' },
      { id: 12, barcode: 'C', latitude: '23.901000', longitude: '106.600000' },
      { id: 13, barcode: 'D', latitude: '23.950000', longitude: '106.700000' },
      { id: 14, barcode: 'Z' },
      { id: 15, barcode: 'E', latitude: null, longitude: null },
    ];
    // A (23.903) -> C (23.901) -> B (23.900) -> D (far) -> E, Z.
    expect(walkOrder(boxes)).toEqual([11, 12, 10, 13, 15, 14]);
    // The input order does not matter.
    expect(walkOrder([...boxes].reverse())).toEqual([11, 12, 10, 13, 15, 14]);
  });

  it('breaks a tie in distance by barcode', () => {
    const boxes = [
      // Distances exact in binary: C and B are both 0.25 degrees from A.
      { id: 1, barcode: 'A', latitude: '10.500000', longitude: '100.000000' },
      { id: 3, barcode: 'C', latitude: '10.750000', longitude: '100.000000' },
      { id: 2, barcode: 'B', latitude: '10.250000', longitude: '100.000000' },
    ];
    expect(walkOrder(boxes)).toEqual([1, 2, 3]);
  });
});
