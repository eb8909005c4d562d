import type { DeviceEvent, PointValue, Quality } from '../collectors/sdk/index.js';

/**
 * Checks on what a plugin hands over outside a call the host awaits (values and events pushed
 * through a subscription's sink). They come from vendor code, possibly across a thread boundary,
 * so nothing about their shape is assumed: a value that is not what the SDK describes becomes a bad
 * value with the reason, an event that is not one is refused with the reason. Nothing here throws.
 */

/** A decimal string as the SDK asks for: no exponent, no spaces, bounded length. */
const DECIMAL = /^-?\d{1,20}(\.\d{1,12})?$/;
const QUALITIES = new Set<string>(['good', 'suspect', 'bad']);
const MAX_REASON = 200;
const MAX_UNIT = 16;

const isValidDate = (v: unknown): v is Date => v instanceof Date && !Number.isNaN(v.getTime());
const text = (v: unknown, max: number): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined;
const describeId = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.slice(0, 64)) : `of type ${v === null ? 'null' : typeof v}`;

/**
 * One checked value per item of `raw`. `requested` are the point ids of the subscription; a value
 * for another id is kept (as bad, with the reason) so that the caller can report the plugin's
 * mistake. Something other than a list becomes one bad value per requested point.
 */
export function checkValues(raw: unknown, requested: ReadonlySet<string>, now: Date): PointValue[] {
  if (!Array.isArray(raw)) {
    const reason = 'the plugin delivered something other than a list of values';
    return [...requested].map((pointId) => ({ pointId, quality: 'bad' as const, reason, measuredAt: now }));
  }
  return raw.map((item) => checkValue(item, requested, now));
}

function checkValue(item: unknown, requested: ReadonlySet<string>, now: Date): PointValue {
  const bad = (pointId: string, reason: string, measuredAt = now): PointValue => ({
    pointId,
    quality: 'bad',
    reason: reason.slice(0, MAX_REASON),
    measuredAt,
  });
  if (typeof item !== 'object' || item === null) return bad('', 'the plugin delivered a value that is not an object');
  const v = item as Record<string, unknown>;
  const pointId = typeof v.pointId === 'string' ? v.pointId.slice(0, 64) : '';
  if (!requested.has(pointId))
    return bad(pointId, `the plugin delivered a value for unknown point ${describeId(v.pointId)}`);
  if (!isValidDate(v.measuredAt)) return bad(pointId, 'the plugin delivered a value without a valid measuredAt');
  const measuredAt = new Date(v.measuredAt.getTime());
  if (typeof v.quality !== 'string' || !QUALITIES.has(v.quality))
    return bad(pointId, `the plugin delivered a value with unknown quality ${describeId(v.quality)}`, measuredAt);
  const quality = v.quality as Quality;
  const reason = text(v.reason, MAX_REASON);
  const unit = text(v.unit, MAX_UNIT);
  if (quality === 'bad') return { pointId, quality, reason: reason ?? 'no reason given', measuredAt };
  if (typeof v.value !== 'string' || !DECIMAL.test(v.value))
    return bad(
      pointId,
      typeof v.value === 'string'
        ? `the plugin delivered ${JSON.stringify(v.value.slice(0, 32))}, not a decimal string`
        : `the plugin delivered a value of type ${v.value === null ? 'null' : typeof v.value}, not a decimal string`,
      measuredAt,
    );
  return {
    pointId,
    value: v.value,
    ...(unit === undefined ? {} : { unit }),
    quality,
    ...(reason === undefined ? {} : { reason }),
    measuredAt,
  };
}

/** The event as the SDK describes it, or why it is not one. */
export function checkEvent(raw: unknown): DeviceEvent | string {
  if (typeof raw !== 'object' || raw === null) return 'not an object';
  const e = raw as Record<string, unknown>;
  if (typeof e.type !== 'string' || !e.type.trim() || e.type.length > 64 || [...e.type].some((c) => c < ' '))
    return 'type must be a text of at most 64 characters';
  if (!isValidDate(e.occurredAt)) return 'occurredAt must be a valid Date';
  if (e.endedAt !== undefined && !isValidDate(e.endedAt)) return 'endedAt must be a valid Date when present';
  let detail: Record<string, string | number | boolean> | undefined;
  if (e.detail !== undefined) {
    if (typeof e.detail !== 'object' || e.detail === null || Array.isArray(e.detail))
      return 'detail must be an object when present';
    detail = {};
    for (const [key, value] of Object.entries(e.detail).slice(0, 32)) {
      if (typeof value === 'string') detail[key] = value.slice(0, 256);
      else if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) detail[key] = value;
    }
  }
  return {
    type: e.type,
    occurredAt: new Date(e.occurredAt.getTime()),
    ...(e.endedAt ? { endedAt: new Date((e.endedAt as Date).getTime()) } : {}),
    ...(detail ? { detail } : {}),
  };
}
