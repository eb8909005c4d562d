/**
 * The one statement that stores readings: seven array parameters (meter ids, registers, values,
 * measured instants, sources, qualities, flags) unnested into rows. A row for a (meter, register,
 * time) that already has a value is not written (a replay adds nothing), except over an ESTIMATED
 * value: a late actual value replaces the estimate, which is kept in reading_version. Actual and
 * edited values are never overwritten here.
 *
 * Returns per written row: id, meter_id, flags, the register for flagged rows only (text columns
 * for every row cost throughput, docs/benchmarks.md), and `replaced_at` (the measured instant) for
 * rows that replaced an estimate, null for new rows.
 */
export const UPSERT_READINGS_SQL = `
with x as (
  -- One row per key: a batch may carry the same value twice, and an upsert may touch a row once.
  select distinct on (m, r, t) m, r, v, t, s, q, f
    from unnest(?::int[], ?::text[], ?::numeric[], ?::timestamptz[], ?::text[], ?::text[], ?::smallint[])
      as u(m, r, v, t, s, q, f)
),
kept as (
  insert into reading_version (reading_id, version, value, source, quality, flags, method, reason)
  select e.id, coalesce((select max(w.version) from reading_version w where w.reading_id = e.id), 0) + 1,
         e.value, e.source, e.quality, e.flags, e.estimation_method, 'replaced by a late actual value'
    from x join reading e on e.meter_id = x.m and e.register = x.r and e.measured_at = x.t
   where e.source = 'ESTIMATED' and x.s <> 'ESTIMATED'
)
insert into reading (meter_id, register, value, measured_at, received_at, source, quality, flags)
select m, r, v, t, now(), s, q, f from x
on conflict (meter_id, register, measured_at) do update
   set value = excluded.value, source = excluded.source, quality = excluded.quality, flags = excluded.flags,
       received_at = excluded.received_at, estimation_method = null
 where reading.source = 'ESTIMATED' and excluded.source <> 'ESTIMATED'
returning id, meter_id, flags, case when flags <> 0 then register end as register,
          case when xmax::text <> '0' then measured_at end as replaced_at`;
