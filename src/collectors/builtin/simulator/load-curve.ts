/**
 * Deterministic load curves for simulated meters: the same meter (seed) and instant always give the
 * same cumulative registers, so a demo seeded from these curves and live reads of them agree.
 */
export type Profile = 'residential' | 'commercial' | 'industrial' | 'agricultural';

/** Relative load per hour of the local day. */
const SHAPES: Record<Profile, number[]> = {
  residential: [25, 20, 18, 17, 17, 20, 35, 50, 45, 40, 38, 40, 45, 40, 35, 35, 40, 55, 75, 80, 75, 65, 50, 35],
  commercial: [10, 10, 10, 10, 10, 12, 20, 40, 70, 85, 90, 90, 80, 85, 90, 90, 85, 75, 60, 45, 35, 25, 15, 12],
  industrial: [60, 60, 58, 58, 60, 65, 75, 90, 95, 95, 95, 90, 85, 95, 95, 95, 90, 85, 80, 75, 70, 68, 65, 62],
  agricultural: [5, 5, 5, 5, 8, 20, 40, 60, 70, 70, 60, 40, 30, 40, 60, 70, 60, 40, 20, 10, 8, 5, 5, 5],
};

/** Mean daily energy in kWh (primary side). */
const DAILY_KWH: Record<Profile, number> = { residential: 9, commercial: 60, industrial: 900, agricultural: 25 };

/**
 * Time-of-use band of each local hour: 0 = T1 critical peak, 1 = T2 peak, 2 = T3 flat, 3 = T4 valley.
 * Valley 23:00-07:00, critical peak 19:00-21:00, peak 08:00-11:00 and 15:00-19:00, flat otherwise.
 */
export const TOU_BAND_OF_HOUR = [3, 3, 3, 3, 3, 3, 3, 2, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 2, 2, 3];

const EPOCH = Date.UTC(2024, 0, 1) - 8 * 3600_000; // local midnight, UTC+8
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A stable pseudo-random number in [0, 1) from integers. */
export function hash01(...parts: number[]): number {
  let h = 2166136261;
  for (const p of parts) {
    h ^= p | 0;
    h = Math.imul(h, 16777619);
    h ^= h >>> 13;
  }
  return ((h >>> 0) % 1_000_000) / 1_000_000;
}

function hourWeights(profile: Profile): number[] {
  const shape = SHAPES[profile];
  const sum = shape.reduce((a, b) => a + b, 0);
  return shape.map((v) => v / sum);
}

/** Energy of one local day for a meter: the mean, scaled per meter and varied per day. */
function dayEnergy(seed: number, profile: Profile, day: number): number {
  const meterScale = 0.6 + 0.8 * hash01(seed, 1);
  const dayScale = 0.85 + 0.3 * hash01(seed, day);
  return DAILY_KWH[profile] * meterScale * dayScale;
}

export interface Registers {
  /** kWh per TOU band T1..T4, in register units (primary energy / multiplier). */
  bands: [number, number, number, number];
  total: number;
}

/**
 * Cumulative registers of a simulated meter at `at`, in register units. `multiplier` divides the
 * primary energy (a CT meter's register moves slower). Starts at `start` (register units) in 2024.
 */
export function registersAt(seed: number, profile: Profile, at: Date, multiplier = 1, start = 0): Registers {
  const weights = hourWeights(profile);
  const elapsed = Math.max(0, at.getTime() - EPOCH);
  const days = Math.floor(elapsed / DAY);
  const bands: [number, number, number, number] = [0, 0, 0, 0];
  const bandShare = [0, 0, 0, 0];
  weights.forEach((w, h) => (bandShare[TOU_BAND_OF_HOUR[h]!]! += w));
  for (let d = 0; d < days; d++) {
    const e = dayEnergy(seed, profile, d);
    for (let b = 0; b < 4; b++) bands[b]! += e * bandShare[b]!;
  }
  const today = dayEnergy(seed, profile, days);
  const intoDay = elapsed - days * DAY;
  for (let h = 0; h < 24 && h * HOUR < intoDay; h++) {
    const fraction = Math.min(1, (intoDay - h * HOUR) / HOUR);
    bands[TOU_BAND_OF_HOUR[h]!]! += today * weights[h]! * fraction;
  }
  const scaled = bands.map((v) => start / 4 + v / multiplier) as [number, number, number, number];
  return { bands: scaled, total: scaled.reduce((a, b) => a + b, 0) };
}

/** Register values as the meter shows them: each band rounded down to 2 decimals, total = their sum. */
export function registerTexts(r: Registers): { total: string; bands: [string, string, string, string] } {
  const cents = r.bands.map((v) => Math.floor(v * 100));
  const text = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
  return { total: text(cents.reduce((a, b) => a + b, 0)), bands: cents.map(text) as [string, string, string, string] };
}

/** A time the supply was off (a tripped relay): `to` undefined while it is still off. */
export interface Outage {
  from: Date;
  to?: Date;
}

/**
 * Registers of a simulated meter at `at` when no energy flowed during `outages` (sorted by `from`,
 * not overlapping): the load curve's registers less what the curve added within each outage that
 * ended before `at`; inside an outage, the registers as they were when it began (computed at that
 * instant, so they are the same number however often they are read). Still a function of its
 * arguments: the same outages give the same values every time.
 */
export function registersWithOutages(
  seed: number,
  profile: Profile,
  at: Date,
  multiplier: number,
  start: number,
  outages: readonly Outage[],
): Registers {
  const until = at.getTime();
  const current = outages.find((o) => o.from.getTime() <= until && (!o.to || o.to.getTime() > until));
  if (current) {
    const earlier = outages.filter((o) => o !== current && o.from.getTime() < current.from.getTime());
    return registersWithOutages(seed, profile, current.from, multiplier, start, earlier);
  }
  const r = registersAt(seed, profile, at, multiplier, start);
  for (const o of outages) {
    if (!o.to || o.to.getTime() > until) continue;
    const before = registersAt(seed, profile, o.from, multiplier, start);
    const after = registersAt(seed, profile, o.to, multiplier, start);
    for (let b = 0; b < 4; b++) r.bands[b] = r.bands[b]! - (after.bands[b]! - before.bands[b]!);
  }
  return { bands: r.bands, total: r.bands.reduce((a, b) => a + b, 0) };
}
