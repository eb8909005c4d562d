import type { EntityManager } from '@mikro-orm/postgresql';
import type { Band, EnergyRegister } from '../../billing/bands.js';
import { RegisterValues, type MeterSpan } from '../../billing/consumption.js';
import { Dec } from '../../shared/decimal.js';
import { pgArray } from '../../shared/pg-array.js';

/** The stored register codes of the energy registers the billing engines use. */
export const REGISTER_CODE: Record<EnergyRegister, string> = {
  TOTAL: 'FORWARD_ACTIVE_TOTAL',
  T1: 'FORWARD_ACTIVE_T1',
  T2: 'FORWARD_ACTIVE_T2',
  T3: 'FORWARD_ACTIVE_T3',
  T4: 'FORWARD_ACTIVE_T4',
};
const REGISTER_OF = new Map(Object.entries(REGISTER_CODE).map(([k, v]) => [v, k as EnergyRegister]));

/** Meters per statement: keeps parameter arrays and result sets of a big run bounded. */
const CHUNK = 5000;

/**
 * The register values of `meterIds` at exactly the given instants (local midnights: daily frozen
 * readings and estimates), in one indexed lookup per chunk of meters. A value validation marked
 * BAD is left out: consumption treats it as missing rather than billing it.
 */
export async function loadRegisterValues(
  em: EntityManager,
  meterIds: readonly number[],
  instants: readonly Date[],
  registers: readonly EnergyRegister[] = ['TOTAL', 'T1', 'T2', 'T3', 'T4'],
): Promise<RegisterValues> {
  const values = new RegisterValues();
  const ids = [...new Set(meterIds)];
  if (!ids.length || !instants.length) return values;
  const times = pgArray(instants.map((i) => i.toISOString()));
  const codes = pgArray(registers.map((r) => REGISTER_CODE[r]));
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows: { meter_id: number; register: string; value: string; measured_at: Date | string; source: string }[] =
      await em.getConnection().execute(
        `select meter_id, register, value::text as value, measured_at, source from reading
          where meter_id = any(?::int[]) and measured_at = any(?::timestamptz[]) and register = any(?::text[])
            and quality <> 'BAD'`,
        [pgArray(ids.slice(i, i + CHUNK)), times, codes],
        'all',
        em.getTransactionContext(),
      );
    for (const r of rows) {
      values.set(r.meter_id, REGISTER_OF.get(r.register)!, new Date(r.measured_at), {
        value: r.value,
        estimated: r.source === 'ESTIMATED',
      });
    }
  }
  return values;
}

/**
 * The register values of each meter at its own instants (customers billed on different days), in
 * one lookup per chunk of (meter, instant) pairs; otherwise as loadRegisterValues.
 */
export async function loadRegisterValuesAt(
  em: EntityManager,
  wanted: readonly { meterId: number; instants: readonly Date[] }[],
  registers: readonly EnergyRegister[] = ['TOTAL', 'T1', 'T2', 'T3', 'T4'],
): Promise<RegisterValues> {
  const values = new RegisterValues();
  const pairs = new Map<string, [number, string]>();
  for (const { meterId, instants } of wanted)
    for (const at of instants) pairs.set(`${meterId}|${at.getTime()}`, [meterId, at.toISOString()]);
  const all = [...pairs.values()];
  const codes = pgArray(registers.map((r) => REGISTER_CODE[r]));
  for (let i = 0; i < all.length; i += PAIR_CHUNK) {
    const chunk = all.slice(i, i + PAIR_CHUNK);
    const rows: { meter_id: number; register: string; value: string; measured_at: Date | string; source: string }[] =
      await em.getConnection().execute(
        `select r.meter_id, r.register, r.value::text as value, r.measured_at, r.source
           from unnest(?::int[], ?::timestamptz[]) as k(meter_id, at)
           join reading r on r.meter_id = k.meter_id and r.measured_at = k.at
          where r.register = any(?::text[]) and r.quality <> 'BAD'`,
        [pgArray(chunk.map((p) => p[0])), pgArray(chunk.map((p) => p[1])), codes],
        'all',
        em.getTransactionContext(),
      );
    for (const r of rows) {
      values.set(r.meter_id, REGISTER_OF.get(r.register)!, new Date(r.measured_at), {
        value: r.value,
        estimated: r.source === 'ESTIMATED',
      });
    }
  }
  return values;
}

/** (Meter, instant) pairs per statement of loadRegisterValuesAt. */
const PAIR_CHUNK = 20_000;

/**
 * Every meter that has been on each of the service points, as spans with their multipliers and
 * their initial and final readings (the total register; exchanges record no band values).
 */
export async function loadServicePointSpans(
  em: EntityManager,
  servicePointIds: readonly number[],
): Promise<Map<number, MeterSpan[]>> {
  const spans = new Map<number, MeterSpan[]>(servicePointIds.map((id) => [id, []]));
  const ids = [...new Set(servicePointIds)];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows: {
      service_point_id: number;
      meter_id: number;
      installed_at: Date | string;
      initial_reading: string;
      removed_at: Date | string | null;
      final_reading: string | null;
      ct_ratio: string;
      pt_ratio: string;
      register_digits: number;
    }[] = await em.getConnection().execute(
      `select a.service_point_id, a.meter_id, a.installed_at, a.initial_reading::text as initial_reading,
              a.removed_at, a.final_reading::text as final_reading,
              m.ct_ratio::text as ct_ratio, m.pt_ratio::text as pt_ratio, m.register_digits
         from meter_assignment a join meter m on m.id = a.meter_id
        where a.service_point_id = any(?::int[])
        order by a.service_point_id, a.installed_at`,
      [pgArray(ids.slice(i, i + CHUNK))],
      'all',
      em.getTransactionContext(),
    );
    for (const r of rows) {
      spans.get(r.service_point_id)!.push({
        meterId: r.meter_id,
        multiplier: new Dec(r.ct_ratio).times(r.pt_ratio).toFixed(),
        registerDigits: r.register_digits,
        installedAt: new Date(r.installed_at),
        initial: { TOTAL: r.initial_reading },
        removedAt: r.removed_at === null ? undefined : new Date(r.removed_at),
        final: r.final_reading === null ? undefined : { TOTAL: r.final_reading },
      });
    }
  }
  return spans;
}

/** A meter measured on its own (a transformer area's supply meter): one span over its whole life. */
export function wholeLifeSpan(meter: { id: number; ctRatio: string; ptRatio: string; registerDigits: number }) {
  return {
    meterId: meter.id,
    multiplier: new Dec(meter.ctRatio).times(meter.ptRatio).toFixed(),
    registerDigits: meter.registerDigits,
  } satisfies MeterSpan;
}

export type BandEnergyRow = { band: Band; kwh: string };
