import type { RegisterCode } from '../../sdk/index.js';

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

export function dataItem(di: number): DataItem | undefined {
  return DATA_ITEMS.find((item) => item.di === di);
}
