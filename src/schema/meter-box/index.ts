// Meter boxes.
import { MeterBoxResolver } from './meter-box.resolver.js';

export const resolvers = [MeterBoxResolver] as const;

export { MeterBoxType } from './meter-box.type.js';
