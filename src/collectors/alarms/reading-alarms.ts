import { AlarmType } from '../../orm/entities/enums.js';
import { ReadingFlag } from '../ingestion/checks.js';
import type { DroppedReading, WrittenReading } from '../ingestion/readings.js';
import type { AlarmInput, AlarmRaiser } from './alarm-raiser.js';

/**
 * Server-side detection from the first-line checks: the alarms suspect readings raise. The same
 * for collected values and for values entered by hand.
 */
export function suspectReadingAlarms(
  rows: readonly { meterId: number; flags: number; register?: string }[],
  at = new Date(),
): AlarmInput[] {
  const alarms: AlarmInput[] = [];
  for (const row of rows) {
    if (row.flags & ReadingFlag.REGISTER_DECREASE) {
      alarms.push({
        meterId: row.meterId,
        type: AlarmType.REGISTER_DECREASE,
        message: `${row.register} went down`,
        at,
      });
    }
    if (row.flags & ReadingFlag.IMPLAUSIBLE_JUMP) {
      alarms.push({
        meterId: row.meterId,
        type: AlarmType.FLYING_METER,
        message: `${row.register} rose faster than the contracted capacity allows`,
        at,
      });
    }
  }
  return alarms;
}

/** Suspect collected readings become alarms, without holding up collection. */
export function raiseForSuspectReadings(alarms: AlarmRaiser, rows: WrittenReading[]): void {
  for (const alarm of suspectReadingAlarms(rows)) alarms.raiseLater(alarm);
}

/** Values the meter stamped in the future point at its clock. */
export function raiseForDroppedReadings(alarms: AlarmRaiser, rows: DroppedReading[]): void {
  const clocks = new Set<number>();
  for (const { reading, reason } of rows) {
    if (reason === 'measured in the future' && !clocks.has(reading.meterId)) {
      clocks.add(reading.meterId);
      alarms.raiseLater({
        meterId: reading.meterId,
        type: AlarmType.CLOCK_DEVIATION,
        message: `meter time ${reading.measuredAt} is ahead`,
        at: new Date(),
      });
    }
  }
}
