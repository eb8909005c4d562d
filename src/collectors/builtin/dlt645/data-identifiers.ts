import type { EventType, RegisterCode } from '../../sdk/index.js';

/** How the value of one data identifier is laid out in a reply. */
export interface DataItem {
  di: number;
  name: string;
  /** Bytes per value. */
  length: number;
  decimals: number;
  unit: string;
  signed?: boolean;
  register?: RegisterCode;
  /** Data blocks hold several values of the same layout (e.g. total and four tariffs). */
  count?: number;
}

/** The data identifiers Metergraph reads, from DL/T 645-2007 appendix A. */
export const DATA_ITEMS: DataItem[] = [
  {
    di: 0x00010000,
    name: 'forward active energy, total',
    length: 4,
    decimals: 2,
    unit: 'kWh',
    register: 'FORWARD_ACTIVE_TOTAL',
  },
  {
    di: 0x00010100,
    name: 'forward active energy, tariff 1 (critical peak)',
    length: 4,
    decimals: 2,
    unit: 'kWh',
    register: 'FORWARD_ACTIVE_T1',
  },
  {
    di: 0x00010200,
    name: 'forward active energy, tariff 2 (peak)',
    length: 4,
    decimals: 2,
    unit: 'kWh',
    register: 'FORWARD_ACTIVE_T2',
  },
  {
    di: 0x00010300,
    name: 'forward active energy, tariff 3 (flat)',
    length: 4,
    decimals: 2,
    unit: 'kWh',
    register: 'FORWARD_ACTIVE_T3',
  },
  {
    di: 0x00010400,
    name: 'forward active energy, tariff 4 (valley)',
    length: 4,
    decimals: 2,
    unit: 'kWh',
    register: 'FORWARD_ACTIVE_T4',
  },
  {
    di: 0x00020000,
    name: 'reverse active energy, total',
    length: 4,
    decimals: 2,
    unit: 'kWh',
    register: 'REVERSE_ACTIVE_TOTAL',
  },
  {
    di: 0x00030000,
    name: 'combined reactive energy 1, total',
    length: 4,
    decimals: 2,
    unit: 'kvarh',
    register: 'FORWARD_REACTIVE_TOTAL',
    signed: true,
  },
  {
    di: 0x00040000,
    name: 'combined reactive energy 2, total',
    length: 4,
    decimals: 2,
    unit: 'kvarh',
    register: 'REVERSE_REACTIVE_TOTAL',
    signed: true,
  },
  { di: 0x02010100, name: 'phase A voltage', length: 2, decimals: 1, unit: 'V' },
  { di: 0x02010200, name: 'phase B voltage', length: 2, decimals: 1, unit: 'V' },
  { di: 0x02010300, name: 'phase C voltage', length: 2, decimals: 1, unit: 'V' },
  { di: 0x02020100, name: 'phase A current', length: 3, decimals: 3, unit: 'A', signed: true },
  { di: 0x02020200, name: 'phase B current', length: 3, decimals: 3, unit: 'A', signed: true },
  { di: 0x02020300, name: 'phase C current', length: 3, decimals: 3, unit: 'A', signed: true },
  { di: 0x02030000, name: 'total active power', length: 3, decimals: 4, unit: 'kW', signed: true },
  { di: 0x02060000, name: 'total power factor', length: 2, decimals: 3, unit: '', signed: true },
  {
    di: 0x05060101,
    name: 'last daily frozen forward active energy (total, T1-T4)',
    length: 4,
    decimals: 2,
    unit: 'kWh',
    register: 'FORWARD_ACTIVE_TOTAL',
    count: 5,
  },
];

/** Date and time registers (not quantities): read for clock checks and frozen timestamps. */
export const DI_DATE = 0x04000101; // YY MM DD WW
export const DI_TIME = 0x04000102; // hh mm ss
export const DI_LAST_DAILY_FREEZE_TIME = 0x05060001; // YY MM DD hh mm

/**
 * Event records the meter keeps (DL/T 645-2007 appendix A, table A.4 "event records", DI3 = 03).
 * For each kind, `countDi` holds the total number of events (3 bytes BCD, XXXXXX) and
 * `countDi + N` the N-th last record (N = 1 the most recent, up to {@link EVENT_RECORDS_KEPT}).
 * Every record of these kinds starts with the start time and the end time, YYMMDDhhmmss (6 bytes
 * each, ss first on the wire); an end time of all zeros means the event has not ended. What
 * follows differs by kind and is not read:
 * - meter cover open 03 30 0D NN and terminal cover open 03 30 0E NN: 60 bytes, the times then
 *   twelve 4-byte energies (forward/reverse active and the four reactive quadrants, before and after);
 * - power down 03 11 00 NN: 12 bytes, the two times only.
 */
export interface EventRecordKind {
  type: EventType;
  name: string;
  countDi: number;
  /** Bytes of a record as the standard defines it; only the first 12 (the times) are used. */
  recordLength: number;
}

export const EVENT_RECORD_KINDS: EventRecordKind[] = [
  { type: 'METER_COVER_OPEN', name: 'meter cover open', countDi: 0x03300d00, recordLength: 60 },
  { type: 'TERMINAL_COVER_OPEN', name: 'terminal cover open', countDi: 0x03300e00, recordLength: 60 },
  { type: 'POWER_OFF', name: 'power down', countDi: 0x03110000, recordLength: 12 },
];

/** A meter keeps the last 10 records of each kind (NN = 01..0A). */
export const EVENT_RECORDS_KEPT = 10;
/** Bytes of the event count: XXXXXX. */
export const EVENT_COUNT_LENGTH = 3;
/** The start and end times at the head of every record. */
export const EVENT_TIMES_LENGTH = 12;

export function dataItem(di: number): DataItem | undefined {
  return DATA_ITEMS.find((item) => item.di === di);
}
