import { describe, expect, it } from 'vitest';
import { checkEvent, checkValues } from './value-check.js';

const now = new Date('2026-11-26T08:00:00Z');
const at = new Date('2026-11-26T07:59:00Z');
const points = new Set(['total', 'volts']);

describe('checks on pushed values', () => {
  it('passes values as the SDK describes them, copied', () => {
    const given = [
      { pointId: 'total', value: '1234.56', unit: 'kWh', quality: 'good', measuredAt: at },
      { pointId: 'volts', value: '-0.5', quality: 'suspect', reason: 'out of range', measuredAt: at },
      { pointId: 'volts', quality: 'bad', reason: 'timeout', measuredAt: at },
    ];
    const checked = checkValues(given, points, now);
    expect(checked).toEqual([
      { pointId: 'total', value: '1234.56', unit: 'kWh', quality: 'good', measuredAt: at },
      { pointId: 'volts', value: '-0.5', quality: 'suspect', reason: 'out of range', measuredAt: at },
      { pointId: 'volts', quality: 'bad', reason: 'timeout', measuredAt: at },
    ]);
    expect(checked[0]!.measuredAt).not.toBe(at);
  });

  it('turns everything else into bad values with the reason', () => {
    const reasons = checkValues(
      [
        { pointId: 'total', value: 12.5, quality: 'good', measuredAt: at },
        { pointId: 'total', value: '1e5', quality: 'good', measuredAt: at },
        { pointId: 'total', value: ' 12', quality: 'good', measuredAt: at },
        { pointId: 'total', value: '1', quality: 'good', measuredAt: '2026-11-26T07:59:00Z' },
        { pointId: 'total', value: '1', quality: 'good', measuredAt: new Date('nonsense') },
        { pointId: 'total', value: '1', quality: 'great', measuredAt: at },
        { pointId: 'other', value: '1', quality: 'good', measuredAt: at },
        { pointId: 7, value: '1', quality: 'good', measuredAt: at },
        { pointId: 'total', quality: 'bad', measuredAt: at },
        null,
        'x',
      ],
      points,
      now,
    ).map((v) => [v.pointId, v.quality, v.reason]);
    expect(reasons).toEqual([
      ['total', 'bad', 'the plugin delivered a value of type number, not a decimal string'],
      ['total', 'bad', 'the plugin delivered "1e5", not a decimal string'],
      ['total', 'bad', 'the plugin delivered " 12", not a decimal string'],
      ['total', 'bad', 'the plugin delivered a value without a valid measuredAt'],
      ['total', 'bad', 'the plugin delivered a value without a valid measuredAt'],
      ['total', 'bad', 'the plugin delivered a value with unknown quality "great"'],
      ['other', 'bad', 'the plugin delivered a value for unknown point "other"'],
      ['', 'bad', 'the plugin delivered a value for unknown point of type number'],
      ['total', 'bad', 'no reason given'],
      ['', 'bad', 'the plugin delivered a value that is not an object'],
      ['', 'bad', 'the plugin delivered a value that is not an object'],
    ]);
  });

  it('gives every requested point a bad value when the delivery is not a list', () => {
    expect(checkValues({ total: '1' }, points, now)).toEqual([
      {
        pointId: 'total',
        quality: 'bad',
        reason: 'the plugin delivered something other than a list of values',
        measuredAt: now,
      },
      {
        pointId: 'volts',
        quality: 'bad',
        reason: 'the plugin delivered something other than a list of values',
        measuredAt: now,
      },
    ]);
  });
});

describe('checks on pushed events', () => {
  it('keeps a well-formed event and only plain detail', () => {
    expect(
      checkEvent({
        type: 'POWER_OFF',
        occurredAt: at,
        endedAt: now,
        detail: { phase: 'A', volts: 0, ok: false, nested: { x: 1 }, nan: Number.NaN },
      }),
    ).toEqual({ type: 'POWER_OFF', occurredAt: at, endedAt: now, detail: { phase: 'A', volts: 0, ok: false } });
  });

  it('says why anything else is not an event', () => {
    expect(checkEvent(null)).toBe('not an object');
    expect(checkEvent({ type: '', occurredAt: at })).toMatch(/^type/);
    expect(checkEvent({ type: 'x\u0000', occurredAt: at })).toMatch(/^type/);
    expect(checkEvent({ type: 'POWER_OFF', occurredAt: '2026-01-01' })).toBe('occurredAt must be a valid Date');
    expect(checkEvent({ type: 'POWER_OFF', occurredAt: at, endedAt: 5 })).toMatch(/^endedAt/);
    expect(checkEvent({ type: 'POWER_OFF', occurredAt: at, detail: [1] })).toMatch(/^detail/);
  });
});
