import { createPubSub } from '@graphql-yoga/subscription';

/** Payload of a reading that was just stored; published by ingestion and the demo meters. */
export interface ReadingRecordedEvent {
  readingId: string;
  meterId: number;
  /** Materialised path of the meter's org unit: subscribers are filtered on it. */
  orgPath: string;
}

/** Typed topics. In-process for now; a Redis-backed PubSub plugs in here for several processes. */
/** Payload of an alarm that was just raised (repeats merged into an active alarm are not published). */
export interface AlarmRaisedEvent {
  alarmId: string;
  /** Materialised path of the alarm's org unit: subscribers are filtered on it. */
  orgPath: string;
}

export type Topics = {
  READING_RECORDED: [ReadingRecordedEvent];
  ALARM_RAISED: [AlarmRaisedEvent];
};

export type Events = ReturnType<typeof createEvents>;
export const createEvents = () => createPubSub<Topics>();
