import { errorKind, isRetriable } from '../sdk/index.js';
import type { CollectionTarget } from './target.js';

/** A failed read or subscription as both runtimes book it. */
export interface Failure {
  /** For operators; a permanent failure starts with its kind ("misconfigured: ..."). */
  reason: string;
  /** Only a change of settings (or software) can mend it: not tried again in the usual rhythm. */
  permanent: boolean;
}

/**
 * What a thrown error means for collection, from the SDK's error kinds: retriable failures keep
 * their message as it always was; permanent ones (`misconfigured`, `unsupported`) say their kind, so
 * that operators reading a task's or a meter's last error see why it is not tried again.
 */
export function failureOf(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  if (isRetriable(error)) return { reason: message, permanent: false };
  return { reason: `${errorKind(error)}: ${message}`, permanent: true };
}

/** The same JSON for equal settings whatever the key order, so a reordered jsonb is no change. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** What a target's collection depends on: a change of any of it may mend a permanent failure. */
export const fingerprintOf = (target: CollectionTarget): string =>
  stableJson({ plugin: target.pluginId, device: target.device, points: target.points });

/**
 * Meters whose last read failed permanently, parked until their settings change or `pauseMs`
 * passes (a fix elsewhere, such as the other meter on a shared line, cannot be seen from here).
 */
export class ParkedMeters {
  private readonly parked = new Map<number, { fingerprint: string; reason: string; until: number }>();

  constructor(private readonly pauseMs: number) {}

  /** Why the target is not to be read now, or undefined when it may be. */
  reason(target: CollectionTarget, now: number): string | undefined {
    const p = this.parked.get(target.meterId);
    if (!p) return undefined;
    if (p.until <= now || p.fingerprint !== fingerprintOf(target)) {
      this.parked.delete(target.meterId);
      return undefined;
    }
    return p.reason;
  }

  park(target: CollectionTarget, reason: string, now: number): void {
    this.parked.set(target.meterId, { fingerprint: fingerprintOf(target), reason, until: now + this.pauseMs });
  }

  release(meterId: number): void {
    this.parked.delete(meterId);
  }
}
