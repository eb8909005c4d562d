import type { PointRequest } from '../sdk/index.js';

/** Which schedules a meter falls under: its unit, its channel, its customer's reading window. */
export interface TargetGroup {
  /** Materialised path of the meter's org unit. */
  orgPath: string;
  channelId?: number;
  /** The customer's reading window (local "HH:MM"), when the meter serves a customer. */
  window?: { start: string; end: string };
}

/** One meter to collect: which plugin, the device settings and the registers to read. */
export interface CollectionTarget {
  meterId: number;
  pluginId: string;
  device: { id: string; settings: unknown };
  points: (PointRequest & { register: NonNullable<PointRequest['register']> })[];
  group: TargetGroup;
}
