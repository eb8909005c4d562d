import { createPubSub } from '@graphql-yoga/subscription';

/** Payload of a reading that was just stored; published by ingestion and the demo meters. */
export interface ReadingRecordedEvent {
  readingId: string;
  meterId: number;
  /** Materialised path of the meter's org unit: subscribers are filtered on it. */
  orgPath: string;
}

/** Typed topics. In-process for now; a Redis-backed PubSub plugs in here for several processes. */
export type Topics = {
  READING_RECORDED: [ReadingRecordedEvent];
};

export type Events = ReturnType<typeof createEvents>;
export const createEvents = () => createPubSub<Topics>();
