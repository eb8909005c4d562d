// Alarms from collection and from readings: lists, acknowledgement and closing, live alarms.
import { AlarmResolver } from './alarm.resolver.js';

export const resolvers = [AlarmResolver] as const;

export { AlarmObject } from './alarm.type.js';
