// Readings: lists in a bounded time range, readings entered by hand, a meter's newest reading, live
// readings.
import { MeterLatestReadingResolver, ReadingResolver } from './reading.resolver.js';

export const resolvers = [ReadingResolver, MeterLatestReadingResolver] as const;

export { announceHandReading, type StoredHandReading, storeHandReading } from './hand-reading.js';
export { ReadingPayload, ReadingType } from './reading.type.js';
