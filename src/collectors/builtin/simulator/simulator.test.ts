import { describe, expect, it } from 'vitest';
import { checkCollector } from '../../sdk/conformance.js';
import plugin, { eventsUntil, faultAt, simulatedRelays } from './index.js';
import { registersAt, registersWithOutages, registerTexts } from './load-curve.js';

describe('simulated meters', () => {
  it('pass the conformance kit', async () => {
    const results = await checkCollector(plugin, {
      device: { id: 'sim-1', settings: { seed: 1, eventRate: 0.5 } },
      points: [
        { request: { id: 'total', settings: { register: 'FORWARD_ACTIVE_TOTAL' } }, expect: 'good' },
        { request: { id: 't4', settings: { register: 'FORWARD_ACTIVE_T4' } }, expect: 'good' },
      ],
      relay: [
        { command: 'TRIP', expect: 'confirmed' },
        { command: 'PERMIT_CLOSE', expect: 'confirmed' },
        { command: 'ALARM', expect: 'refused' },
      ],
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('record events deterministically, newest ten of a kind, power downs ending unless still going on', () => {
    const device = {
      seed: 7,
      profile: 'residential' as const,
      multiplier: 1,
      start: 0,
      faultRate: 0,
      eventRate: 0.5,
      reconnectDelaySeconds: 0,
    };
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
    const device = {
      seed: 3,
      profile: 'residential' as const,
      multiplier: 1,
      start: 0,
      faultRate: 0.3,
      eventRate: 0,
      reconnectDelaySeconds: 0,
    };
    const minutes = Array.from({ length: 200 }, (_, i) => new Date(Date.UTC(2026, 0, 1) + i * 60_000));
    const faults = minutes.map((m) => faultAt(device, m));
    const share = faults.filter(Boolean).length / faults.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.45);
    expect(new Set(faults.filter(Boolean))).toEqual(new Set(['no-answer', 'decrease', 'jump']));
    expect(minutes.map((m) => faultAt(device, m))).toEqual(faults);
  });
});

describe('relay control of simulated meters', () => {
  const HOUR = 3_600_000;
  const total = async (session: ReturnType<typeof plugin.createSession>, at?: Date) =>
    (
      await session.read!(
        [{ id: 'total', settings: { register: 'FORWARD_ACTIVE_TOTAL' }, ...(at ? { at } : {}) }],
        AbortSignal.timeout(1000),
      )
    )[0]!.value!;

  it('stop counting while tripped and count again from where they stopped once the customer reconnects', async () => {
    simulatedRelays.clear();
    let now = new Date('2026-11-26T10:00:00Z'); // 18:00 local: a residential meter is busy
    const settings = plugin.deviceSchema.parse({ seed: 5, reconnectDelaySeconds: 60 });
    const session = plugin.createSession({ id: 'meter-5', settings }, { logger: console, now: () => now });
    const signal = () => AbortSignal.timeout(1000);
    const atTrip = await total(session);
    expect(await session.controlRelay!('TRIP', signal())).toEqual({ status: 'confirmed', state: 'open' });
    now = new Date(now.getTime() + 2 * HOUR);
    expect(await total(session)).toBe(atTrip);
    // Tripped again: still the same outage, still the same value.
    expect(await session.controlRelay!('TRIP', signal())).toEqual({ status: 'confirmed', state: 'open' });
    expect(await total(session)).toBe(atTrip);
    // Permitted: the customer presses the button a minute later.
    expect(await session.controlRelay!('PERMIT_CLOSE', signal())).toEqual({ status: 'confirmed', state: 'permitted' });
    now = new Date(now.getTime() + 30_000);
    expect(await total(session)).toBe(atTrip);
    now = new Date(now.getTime() + HOUR);
    const after = await total(session);
    expect(Number(after)).toBeGreaterThan(Number(atTrip));
    // Exactly the energy of the powered time: the curve's, less the 2 h 1 min without supply.
    const curve = (at: Date) => registersAt(5, 'residential', at).total;
    const tripAt = new Date('2026-11-26T10:00:00Z');
    const expected = curve(now) - (curve(new Date(tripAt.getTime() + 2 * HOUR + 60_000)) - curve(tripAt));
    expect(Math.abs(Number(after) - expected)).toBeLessThan(0.02);
    // A frozen read of a time inside the outage gives the value at the trip too.
    expect(await total(session, new Date(tripAt.getTime() + HOUR))).toBe(atTrip);
    // Other simulated meters are not affected.
    const other = plugin.createSession(
      { id: 'meter-6', settings: { ...settings, seed: 6 } },
      { logger: console, now: () => now },
    );
    expect(await total(other)).toBe(registerTexts(registersAt(6, 'residential', now)).total);
    expect(await session.controlRelay!('KEEP_POWER', signal())).toMatchObject({ status: 'refused' });
    simulatedRelays.clear();
  });

  it('are a function of time and outages: the same outages give the same registers', () => {
    const outages = [
      { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T00:00:00Z') },
      { from: new Date('2026-11-10T00:00:00Z') },
    ];
    const at = (iso: string) => registersWithOutages(9, 'commercial', new Date(iso), 1, 0, outages);
    expect(at('2026-11-15T00:00:00Z')).toEqual(at('2026-11-15T00:00:00Z'));
    expect(at('2026-11-15T00:00:00Z')).toEqual(at('2026-11-10T00:00:00Z'));
    expect(at('2026-11-01T12:00:00Z')).toEqual(at('2026-11-01T00:00:00Z'));
    expect(at('2026-11-05T00:00:00Z').total).toBeGreaterThan(at('2026-11-02T00:00:00Z').total);
    expect(at('2026-10-01T00:00:00Z')).toEqual(registersAt(9, 'commercial', new Date('2026-10-01T00:00:00Z')));
  });
});
