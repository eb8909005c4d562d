/**
 * Time-of-use bands, named as the registers that count them (FORWARD_ACTIVE_T1..T4):
 * T1 critical peak (尖), T2 peak (峰), T3 flat (平), T4 valley (谷).
 */
export type Band = 'T1' | 'T2' | 'T3' | 'T4';
export const BANDS: readonly Band[] = ['T1', 'T2', 'T3', 'T4'];

/** A register of forward active energy: the total or one band. */
export type EnergyRegister = 'TOTAL' | Band;
export const ENERGY_REGISTERS: readonly EnergyRegister[] = ['TOTAL', ...BANDS];
