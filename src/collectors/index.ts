// The face of collection for the rest of the server: the composition (app.ts) assembles it, the
// API holds its port. Its parts (runtime, ingestion, alarms) are not imported from outside.
export type {
  CollectionPort,
  CollectorPluginView,
  ReadNowValue,
  RelayCommand,
  RelayOutcome,
  SettingsCheck,
} from './port.js';
export { createCollection, type CollectionOptions, type PluginCatalogue } from './collection.js';
export type { SqlExecutor } from './ingestion/readings.js';
// A value read by a person takes the way a collected one takes: the same checks, the one upsert,
// the same alarms (src/schema/reading/hand-reading.ts).
export { checkAndStoreReading, type StoredRow } from './ingestion/store.js';
export { AlarmRaiser } from './alarms/alarm-raiser.js';
export { suspectReadingAlarms } from './alarms/reading-alarms.js';
