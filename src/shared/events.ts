import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';

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
  meterId: number;
  type: string;
  severity: string;
  /** Materialised path of the alarm's org unit: subscribers are filtered on it. */
  orgPath: string;
}

/** One finished collection cycle: how many meters were due and how they answered. */
export interface CollectionCycleEvent {
  finishedAt: string;
  meters: number;
  succeeded: number;
  failed: number;
  values: number;
  badValues: number;
}

/** Progress of a settlement run, after each batch of customers and at its end. */
export interface SettlementProgressEvent {
  runId: number;
  /** Materialised path of the run's org unit: subscribers are filtered on it. */
  orgPath: string;
  status: string;
  customers: number;
  processed: number;
  billed: number;
  unchanged: number;
  failed: number;
}

/** One register value at a local midnight that changed after it was first known. */
export interface ReadingCorrection {
  meterId: number;
  /** ISO-8601 instant (the midnight); a string so that the event survives Redis as it is. */
  measuredAt: string;
}

/**
 * Readings were corrected: edited, estimated, or an estimate replaced by a late actual value.
 * Consumption is computed from register values, so anything derived and stored from them (draft
 * bills, re-bills) is recomputed for these meters and times.
 */
export interface ReadingsCorrectedEvent {
  changes: ReadingCorrection[];
}

/** Prepayment notified a customer or commanded a meter (a prepayment_event row). */
export interface PrepaymentNoticeEvent {
  eventId: number;
  customerId: number;
  /** Materialised path of the customer's org unit: subscribers are filtered on it. */
  orgPath: string;
}

/** A work order was created, assigned, moved along its status flow, or had its stops changed. */
export interface WorkOrderChangedEvent {
  workOrderId: number;
  /** Materialised path of the order's unit. */
  orgPath: string;
  /** Who is assigned now, and who was until this change (they hear of their removal). */
  assigneeIds: number[];
  /** What happened: CREATED, ASSIGNED, STARTED, CONFIRMED, SUBMITTED, APPROVED, REJECTED, CLOSED, STOP_VISITED... */
  change: string;
}

export type Topics = {
  READINGS_CORRECTED: [ReadingsCorrectedEvent];
  READING_RECORDED: [ReadingRecordedEvent];
  ALARM_RAISED: [AlarmRaisedEvent];
  COLLECTION_CYCLE: [CollectionCycleEvent];
  SETTLEMENT_PROGRESS: [SettlementProgressEvent];
  PREPAYMENT_NOTICE: [PrepaymentNoticeEvent];
  WORK_ORDER_CHANGED: [WorkOrderChangedEvent];
};

export type Events = ReturnType<typeof createEvents>;

/** In-process events: one server process. */
export const createEvents = () => createPubSub<Topics>();

/**
 * Events through Redis pub/sub, so that a subscriber connected to any of several server processes
 * receives what another process published. Returns the bus and a function that closes the clients.
 */
export function createRedisEvents(url: string): { events: Events; close: () => Promise<void> } {
  const publishClient = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  const subscribeClient = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  const events = createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
  return {
    events,
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}

/**
 * Publishes READINGS_CORRECTED for changed (meter, midnight) pairs, each once; nothing for none.
 * Called after an edit, an estimation, or a late actual value replacing an estimate, by the API
 * and by ingestion alike; settlement follows the event to re-bill (SettlementJobs).
 */
export function publishReadingsCorrected(
  events: Events,
  changes: readonly { meterId: number; measuredAt: Date }[],
): ReadingCorrection[] {
  const seen = new Set<string>();
  const unique: ReadingCorrection[] = [];
  for (const change of changes) {
    const measuredAt = change.measuredAt.toISOString();
    const key = `${change.meterId}@${measuredAt}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push({ meterId: change.meterId, measuredAt });
  }
  if (unique.length) events.publish('READINGS_CORRECTED', { changes: unique });
  return unique;
}
