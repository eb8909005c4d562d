import { describe, expect, it } from 'vitest';
import { checkCollector } from '../../sdk/conformance.js';
import plugin, { eventsUntil, faultAt } from './index.js';
import { registersAt, registerTexts } from './load-curve.js';

describe('simulated meters', () => {
  it('pass the conformance kit', async () => {
    const results = await checkCollector(plugin, {
      device: { id: 'sim-1', settings: { seed: 1, eventRate: 0.5 } },
      points: [
        { request: { id: 'total', settings: { register: 'FORWARD_ACTIVE_TOTAL' } }, expect: 'good' },
        { request: { id: 't4', settings: { register: 'FORWARD_ACTIVE_T4' } }, expect: 'good' },
      ],
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('record events deterministically, newest ten of a kind, power downs ending unless still going on', () => {
    const device = { seed: 7, profile: 'residential' as const, multiplier: 1, start: 0, faultRate: 0, eventRate: 0.5 };
    const now = new Date('2026-11-26T12:34:56Z');
    const events = eventsUntil(device, now);
    expect(events).toEqual(eventsUntil(device, now));
    expect(events.length).toBeGreaterThan(5);
    const byType = (t: string) => events.filter((e) => e.type === t);
    expect(byType('POWER_OFF').length).toBeLessThanOrEqual(10);
    expect(byType('POWER_OFF').length + byType('METER_COVER_OPEN').length).toBe(events.length);
    for (const e of events) {
      expect(e.occurredAt.getTime()).toBeLessThanOrEqual(now.getTime());
      expect(e.occurredAt.getTime()).toBeGreaterThan(now.getTime() - 49 * 3_600_000);
      if (e.endedAt) expect(e.endedAt.getTime()).toBeLessThanOrEqual(now.getTime());
    }
    expect(events.map((e) => e.occurredAt.getTime())).toEqual(
      [...events].map((e) => e.occurredAt.getTime()).sort((a, b) => a - b),
    );
    // Later, the same records are still there (as long as they are among the newest kept).
    const later = eventsUntil(device, new Date(now.getTime() + 60_000));
    expect(later.slice(0, -1).map((e) => e.occurredAt.getTime())).toEqual(
      expect.arrayContaining(events.slice(-3, -1).map((e) => e.occurredAt.getTime())),
    );
    expect(eventsUntil({ ...device, eventRate: 0 }, now)).toEqual([]);
  });

  it('have registers that only grow, faster in the evening than at night, with TOU bands summing to the total', () => {
    const day = Date.UTC(2026, 5, 1) - 8 * 3600_000; // local midnight
    const at = (h: number) => registersAt(42, 'residential', new Date(day + h * 3600_000));
    const night = at(4).total - at(3).total;
    const evening = at(20).total - at(19).total;
    expect(evening).toBeGreaterThan(night * 3);
    let previous = 0;
    for (let h = 0; h < 48; h++) {
      const r = at(h);
      expect(r.total).toBeGreaterThanOrEqual(previous);
      previous = r.total;
      const texts = registerTexts(r);
      const sum = texts.bands.reduce((a, b) => a + Math.round(Number(b) * 100), 0);
      expect(Math.round(Number(texts.total) * 100)).toBe(sum);
    }
    // Valley energy (T4) is only added between 23:00 and 07:00.
    expect(at(14).bands[3]).toBe(at(8).bands[3]);
  });

  it('fail now and then, the same way for the same minute', () => {
    const device = { seed: 3, profile: 'residential' as const, multiplier: 1, start: 0, faultRate: 0.3, eventRate: 0 };
    const minutes = Array.from({ length: 200 }, (_, i) => new Date(Date.UTC(2026, 0, 1) + i * 60_000));
    const faults = minutes.map((m) => faultAt(device, m));
    const share = faults.filter(Boolean).length / faults.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.45);
    expect(new Set(faults.filter(Boolean))).toEqual(new Set(['no-answer', 'decrease', 'jump']));
    expect(minutes.map((m) => faultAt(device, m))).toEqual(faults);
  });
});
