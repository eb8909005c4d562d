import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf, localMidnight } from '../src/billing/local-days.js';
import { Ingestion } from '../src/collectors/ingestion/ingestion.js';
import type { IncomingReading, SqlExecutor } from '../src/collectors/ingestion/readings.js';
import type { ReadingsCorrectedEvent } from '../src/shared/events.js';
import { toGlobalId } from '../src/shared/global-id.js';
import { createLogger } from '../src/shared/logger.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * VEE through the API with real tokens on the demo archive: a station manager validates, estimates
 * a gap after re-collection gave up, edits a reading with a reason; a late actual value replaces an
 * estimate (manual and collected), a replay adds nothing; another station's manager reaches none
 * of it; bad input is refused with paths and writes nothing.
 */
const ZONE = 'Asia/Shanghai';
let server: TestServer;
let sql: SqlExecutor;
let manager1: string;
let manager2: string;
let admin: string;
let station: { id: number; gid: string };
let meter: { id: number; gid: string; orgUnitId: number; areaGid: string };
const today = localDateOf(new Date(), ZONE);
const corrected: ReadingsCorrectedEvent[] = [];

const one = async <T>(text: string, params: unknown[] = []) => (await sql.execute<T>(text, params))[0]!;
const midnight = (date: string) => localMidnight(date, ZONE);

const READING = `id value source quality failedRules estimationMethod measuredAt register
  versions { version value source quality failedRules method reason changedBy { username } }`;

async function readingAt(register: string, date: string) {
  const row = await one<{ id: string }>(
    `select id::text as id from reading where meter_id = ? and register = ? and measured_at = ?`,
    [meter.id, register, midnight(date)],
  );
  return row?.id;
}

async function readingNode(id: string) {
  const res = await server.gql<{ node: Record<string, any> }>(
    `query($id: ID!) { node(id: $id) { ... on Reading { ${READING} } } }`,
    { id: toGlobalId('Reading', id) },
    manager1,
  );
  return res.data!.node;
}

const RANGE = (orgUnitId: string, from: string, to: string) => ({ input: { orgUnitId, from, to } });
const VALIDATE = `mutation($input: VeeRangeInput!) { validateReadings(input: $input) {
  meters checked changed suspectCount counts { rule count } suspectReadings { id failedRules quality } } }`;
const ESTIMATE = `mutation($input: VeeRangeInput!) { estimateReadings(input: $input) {
  estimated skipped methods { method count } readings { ${READING} } } }`;
const EDIT = `mutation($input: EditReadingInput!) { editReading(input: $input) { reading { ${READING} } } }`;

const flush = () => new Promise((r) => setTimeout(r, 50));

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  const em = server.em();
  sql = { execute: (text, params) => em.getConnection().execute(text, params) };
  [manager1, manager2, admin] = await Promise.all([
    server.login('manager1'),
    server.login('manager2'),
    server.login('admin', 'metergraph-admin'),
  ]);
  const unit = await one<{ id: number }>(`select u.org_unit_id as id from app_user u where u.username = 'manager1'`);
  station = { id: Number(unit.id), gid: toGlobalId('OrgUnit', unit.id) };
  const m = await one<{ id: number; org_unit_id: number }>(
    `select m.id, m.org_unit_id from meter m
       join org_unit o on o.id = m.org_unit_id
       join meter_assignment a on a.meter_id = m.id and a.removed_at is null
       join service_point sp on sp.id = a.service_point_id
       join customer c on c.id = sp.customer_id
      where o.path like (select path from org_unit where id = ?) || '%' and c.category = 'RESIDENTIAL'
      order by m.id limit 1`,
    [station.id],
  );
  meter = {
    id: Number(m.id),
    gid: toGlobalId('Meter', m.id),
    orgUnitId: Number(m.org_unit_id),
    areaGid: toGlobalId('OrgUnit', m.org_unit_id),
  };
  // The demo has three days of history; this meter gets five weeks of steady daily values
  // (8 to 10 kWh a day, the bands in fixed shares), so that the rules have history to work on.
  await sql.execute(`delete from reading where meter_id = ?`, [meter.id]);
  let total = 1000;
  const rows: string[] = [];
  for (let i = 35; i >= 0; i--) {
    const at = midnight(addDays(today, -i)).toISOString();
    const bands = [0.1, 0.3, 0.4].map((share) => Math.round(total * share * 100) / 100);
    bands.push(Math.round((total - bands.reduce((a, b) => a + b, 0)) * 100) / 100);
    rows.push(`(${meter.id}, 'FORWARD_ACTIVE_TOTAL', ${total.toFixed(2)}, '${at}', 'AUTOMATIC')`);
    bands.forEach((b, n) =>
      rows.push(`(${meter.id}, 'FORWARD_ACTIVE_T${n + 1}', ${b.toFixed(2)}, '${at}', 'AUTOMATIC')`),
    );
    total += 8 + (i % 3);
  }
  await sql.execute(
    `insert into reading (meter_id, register, value, measured_at, source) values ${rows.join(',')}`,
    [],
  );
  void (async () => {
    for await (const event of server.app.events.subscribe('READINGS_CORRECTED')) corrected.push(event);
  })();
}, 120_000);

afterAll(async () => server?.stop());

describe('VEE', () => {
  it('validates a station, idempotently, and marks a register decrease BAD', async () => {
    const from = addDays(today, -20);
    const to = addDays(today, -1);
    // A value below the day before it (a misread), written behind the API's back.
    const bad = await readingAt('FORWARD_ACTIVE_TOTAL', addDays(today, -15));
    await sql.execute(`update reading set value = value - 500 where id = ?`, [bad]);

    const first = await server.gql<{ validateReadings: any }>(VALIDATE, RANGE(station.gid, from, to), manager1);
    expect(first.errors).toBeUndefined();
    const result = first.data!.validateReadings;
    expect(result.meters).toBeGreaterThan(100);
    expect(result.checked).toBeGreaterThan(result.meters * 5);
    const decreases = result.counts.find((c: any) => c.rule === 'REGISTER_DECREASE').count;
    expect(decreases).toBeGreaterThanOrEqual(1);
    expect(result.suspectCount).toBeGreaterThanOrEqual(1);
    expect(result.suspectReadings.length).toBeLessThanOrEqual(50);

    const node = await readingNode(bad!);
    expect(node.quality).toBe('BAD');
    expect(node.failedRules).toContain('REGISTER_DECREASE');

    // Again: nothing changes, the same counts.
    const again = (await server.gql<{ validateReadings: any }>(VALIDATE, RANGE(station.gid, from, to), manager1)).data!
      .validateReadings;
    expect(again.changed).toBe(0);
    expect(again.counts).toEqual(result.counts);

    // Put the value back for the tests below, and validate that day's meter again.
    await sql.execute(`update reading set value = value + 500, flags = 0, quality = 'GOOD' where id = ?`, [bad]);
  });

  it('estimates a gap only where re-collection gave up, never over a value, and publishes the correction', async () => {
    const gapDay = addDays(today, -10);
    const pendingDay = addDays(today, -9);
    const recentDay = addDays(today, -1);
    const totalBefore = await one<{ value: string }>(
      `select value::text as value from reading where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' and measured_at = ?`,
      [meter.id, midnight(addDays(gapDay, -1))],
    );
    const totalAfter = await one<{ value: string }>(
      `select value::text as value from reading where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' and measured_at = ?`,
      [meter.id, midnight(addDays(pendingDay, 1))],
    );
    // Three midnights lost: one re-collection gave up on, one it still tries, and yesterday's.
    for (const date of [gapDay, pendingDay, recentDay])
      await sql.execute(`delete from reading where meter_id = ? and measured_at = ?`, [meter.id, midnight(date)]);
    for (const [date, status] of [
      [gapDay, 'GAVE_UP'],
      [pendingDay, 'PENDING'],
    ] as const) {
      const task = await one<{ id: number }>(
        `insert into collection_task (kind, slot, org_unit_id, status, meters, gave_up, finished_at)
         values ('DAILY_FROZEN', ?, ?, 'INCOMPLETE', 1, 1, now()) returning id`,
        [midnight(date), meter.orgUnitId],
      );
      await sql.execute(
        `insert into collection_retry (task_id, meter_id, status, attempts, last_error, next_attempt_at)
         values (?, ?, ?, 3, 'no answer', ?)`,
        [task.id, meter.id, status, status === 'PENDING' ? new Date(Date.now() + 3_600_000) : null],
      );
    }
    corrected.length = 0;
    const res = await server.gql<{ estimateReadings: any }>(
      ESTIMATE,
      RANGE(meter.areaGid, addDays(gapDay, -1), recentDay),
      manager1,
    );
    expect(res.errors).toBeUndefined();
    const out = res.data!.estimateReadings;
    // The total and its four bands at the one midnight re-collection gave up on.
    expect(out.estimated).toBe(5);
    expect(out.methods).toEqual([{ method: 'LINEAR_INTERPOLATION', count: 1 }]);
    expect(out.skipped).toBeGreaterThanOrEqual(2);
    const estimated = out.readings as any[];
    expect(estimated.every((r) => r.source === 'ESTIMATED' && r.estimationMethod === 'LINEAR_INTERPOLATION')).toBe(
      true,
    );
    expect(new Set(estimated.map((r) => r.measuredAt))).toEqual(new Set([midnight(gapDay).toISOString()]));
    const total = estimated.find((r) => r.register === 'FORWARD_ACTIVE_TOTAL');
    // Between the actual values around the gap (the next one is two days on: pendingDay is missing too).
    expect(Number(total.value)).toBeGreaterThanOrEqual(Number(totalBefore.value));
    expect(Number(total.value)).toBeLessThanOrEqual(Number(totalAfter.value));
    const bands = estimated.filter((r) => r.register !== 'FORWARD_ACTIVE_TOTAL');
    expect(bands.reduce((s, b) => s + Number(b.value), 0)).toBeCloseTo(Number(total.value), 3);
    await flush();
    expect(corrected).toEqual([{ changes: [{ meterId: meter.id, measuredAt: midnight(gapDay).toISOString() }] }]);

    // Nothing is estimated twice, nor over a value.
    const again = await server.gql<{ estimateReadings: any }>(
      ESTIMATE,
      RANGE(meter.areaGid, addDays(gapDay, -1), recentDay),
      manager1,
    );
    expect(again.data!.estimateReadings.estimated).toBe(0);
    const rows = await one<{ n: number }>(
      `select count(*)::int as n from reading where meter_id = ? and measured_at = ?`,
      [meter.id, midnight(gapDay)],
    );
    expect(Number(rows.n)).toBe(5);
  });

  it('edits a reading with a reason, keeps the original as version 1, re-runs the rules and is audited', async () => {
    const id = (await readingAt('FORWARD_ACTIVE_TOTAL', addDays(today, -6)))!;
    const original = await readingNode(id);
    const before = await one<{ value: string }>(
      `select value::text as value from reading where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' and measured_at = ?`,
      [meter.id, midnight(addDays(today, -7))],
    );
    corrected.length = 0;
    // Below the day before: the rules run again and find the decrease.
    const low = (Number(before.value) - 10).toFixed(2);
    const edited = await server.gql<{ editReading: any }>(
      EDIT,
      { input: { readingId: original.id, value: low, reason: 'meter reader misread the register' } },
      manager1,
    );
    expect(edited.errors).toBeUndefined();
    const reading = edited.data!.editReading.reading;
    expect(reading.source).toBe('EDITED');
    expect(Number(reading.value)).toBe(Number(low));
    expect(reading.quality).toBe('BAD');
    expect(reading.failedRules).toContain('REGISTER_DECREASE');
    expect(reading.versions).toEqual([
      {
        version: 1,
        value: original.value,
        source: 'AUTOMATIC',
        quality: original.quality,
        failedRules: original.failedRules,
        method: null,
        reason: 'meter reader misread the register',
        changedBy: { username: 'manager1' },
      },
    ]);
    await flush();
    expect(corrected).toEqual([
      { changes: [{ meterId: meter.id, measuredAt: midnight(addDays(today, -6)).toISOString() }] },
    ]);

    // Back to the original value: version 2 keeps the edit, and the value is GOOD again.
    const back = (
      await server.gql<{ editReading: any }>(
        EDIT,
        {
          input: {
            readingId: original.id,
            value: original.value,
            reason: 'checked on site: the first value was right',
          },
        },
        manager1,
      )
    ).data!.editReading.reading;
    expect(back.quality).toBe('GOOD');
    expect(back.versions.map((v: any) => [v.version, v.source, v.value])).toEqual([
      [1, 'AUTOMATIC', original.value],
      [2, 'EDITED', reading.value],
    ]);

    const audit = await server.gql<{ auditLog: { nodes: { action: string; actor: string; details: any }[] } }>(
      `{ auditLog(first: 5, filter: { actions: ["editReading"] }) { nodes { action actor details } } }`,
      {},
      admin,
    );
    const record = audit.data!.auditLog.nodes.find(
      (n) => n.details.input?.input?.reason === 'meter reader misread the register',
    );
    expect(record?.actor).toBe('manager1');
    // The change itself, before and after, and the version it created.
    expect(record?.details.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          entity: 'Reading',
          op: 'update',
          after: { source: 'EDITED', value: String(Number(low)) },
        }),
        expect.objectContaining({ entity: 'ReadingVersion', op: 'create' }),
      ]),
    );
  });

  it('refuses an edit without a reason, with its path, and writes nothing', async () => {
    const id = (await readingAt('FORWARD_ACTIVE_TOTAL', addDays(today, -5)))!;
    const versions = await one<{ n: number }>(`select count(*)::int as n from reading_version`);
    const res = await server.gql(
      EDIT,
      { input: { readingId: toGlobalId('Reading', id), value: '1', reason: '  ' } },
      manager1,
    );
    const error = onlyError(res);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.fields?.map((f) => f.path)).toEqual([['input', 'reason']]);
    expect((await one<{ n: number }>(`select count(*)::int as n from reading_version`)).n).toBe(versions.n);
    expect((await readingNode(id)).source).toBe('AUTOMATIC');
  });

  it('lets a late actual value replace an estimate, manual or collected; a replay adds nothing', async () => {
    const gapDay = addDays(today, -10);
    const totalId = (await readingAt('FORWARD_ACTIVE_TOTAL', gapDay))!;
    const estimate = await readingNode(totalId);
    expect(estimate.source).toBe('ESTIMATED');
    corrected.length = 0;
    const manual = await server.gql<{ recordManualReading: { reading: any } }>(
      `mutation($input: RecordManualReadingInput!) { recordManualReading(input: $input) { reading { ${READING} } } }`,
      {
        input: {
          meterId: meter.gid,
          register: 'FORWARD_ACTIVE_TOTAL',
          value: estimate.value,
          measuredAt: midnight(gapDay).toISOString(),
        },
      },
      manager1,
    );
    expect(manual.errors).toBeUndefined();
    const replaced = manual.data!.recordManualReading.reading;
    expect(replaced.id).toBe(estimate.id);
    expect(replaced.source).toBe('MANUAL');
    expect(replaced.estimationMethod).toBeNull();
    expect(replaced.versions).toMatchObject([
      { version: 1, source: 'ESTIMATED', method: 'LINEAR_INTERPOLATION', value: estimate.value, changedBy: null },
    ]);
    await flush();
    expect(corrected).toEqual([{ changes: [{ meterId: meter.id, measuredAt: midnight(gapDay).toISOString() }] }]);
    // Over an actual value, a manual reading is still a conflict.
    const twice = await server.gql(
      `mutation($input: RecordManualReadingInput!) { recordManualReading(input: $input) { reading { id } } }`,
      {
        input: {
          meterId: meter.gid,
          register: 'FORWARD_ACTIVE_TOTAL',
          value: '1',
          measuredAt: midnight(gapDay).toISOString(),
        },
      },
      manager1,
    );
    expect(onlyError(twice).extensions?.code).toBe('CONFLICT');

    // Collected: T1 at the same midnight arrives late, then again (a replay), and an EDITED value is kept.
    const bandId = (await readingAt('FORWARD_ACTIVE_T1', gapDay))!;
    const band = await readingNode(bandId);
    const ingestion = new Ingestion(sql, createLogger('silent'), {
      journalDir: mkdtempSync(join(tmpdir(), 'mg-vee-journal-')),
      onReplacedEstimates: (changes) => replacedByIngestion.push(...changes),
    });
    const replacedByIngestion: { meterId: number; measuredAt: Date }[] = [];
    ingestion.start();
    const late: IncomingReading = {
      meterId: meter.id,
      register: 'FORWARD_ACTIVE_T1',
      value: band.value,
      measuredAt: midnight(gapDay).toISOString(),
      source: 'AUTOMATIC',
    };
    try {
      ingestion.submit([late]);
      await ingestion.drain();
      ingestion.submit([late, { ...late, value: '1' }]);
      await ingestion.drain();
      const editedId = (await readingAt('FORWARD_ACTIVE_TOTAL', addDays(today, -6)))!;
      ingestion.submit([
        {
          ...late,
          register: 'FORWARD_ACTIVE_TOTAL',
          measuredAt: midnight(addDays(today, -6)).toISOString(),
          value: '1',
        },
      ]);
      await ingestion.drain();
      expect((await readingNode(editedId)).source).toBe('EDITED');
    } finally {
      await ingestion.stop();
    }
    const collected = await readingNode(bandId);
    expect(collected.source).toBe('AUTOMATIC');
    expect(collected.value).toBe(band.value);
    expect(collected.versions).toMatchObject([{ version: 1, source: 'ESTIMATED', method: 'LINEAR_INTERPOLATION' }]);
    expect(replacedByIngestion).toEqual([{ meterId: meter.id, measuredAt: midnight(gapDay) }]);
    const count = await one<{ n: number }>(
      `select count(*)::int as n from reading where meter_id = ? and register = 'FORWARD_ACTIVE_T1' and measured_at = ?`,
      [meter.id, midnight(gapDay)],
    );
    expect(count.n).toBe(1);
  });

  it('applies the most specific rule set to a meter', async () => {
    const SET = `mutation($input: SetVeeRuleSetInput!) { setVeeRuleSet(input: $input) {
      veeRuleSet { id name customerCategory enabledRules params { zeroDays spikeFactor historyDays } } } }`;
    const PARAMS = `query($id: ID!) { veeParametersFor(meterId: $id) { ruleSet { name } enabledRules params { zeroDays spikeFactor } } }`;
    const defaults = (await server.gql<{ veeParametersFor: any }>(PARAMS, { id: meter.gid }, manager1)).data!
      .veeParametersFor;
    expect(defaults).toMatchObject({ ruleSet: null, params: { zeroDays: 3, spikeFactor: '5' } });
    const stationSet = await server.gql<{ setVeeRuleSet: any }>(
      SET,
      {
        input: {
          name: 'station',
          orgUnitId: station.gid,
          params: { zeroDays: 5 },
          enabledRules: ['SPIKE', 'ZERO_CONSUMPTION'],
        },
      },
      manager1,
    );
    expect(stationSet.errors).toBeUndefined();
    expect(stationSet.data!.setVeeRuleSet.veeRuleSet.params).toEqual({
      zeroDays: 5,
      spikeFactor: '5',
      historyDays: 14,
    });
    const other = await server.gql(
      SET,
      {
        input: {
          name: 'area, commercial',
          orgUnitId: meter.areaGid,
          customerCategory: 'COMMERCIAL',
          enabledRules: ['CLOCK'],
        },
      },
      manager1,
    );
    expect(other.errors).toBeUndefined();
    let applied = (await server.gql<{ veeParametersFor: any }>(PARAMS, { id: meter.gid }, manager1)).data!
      .veeParametersFor;
    expect(applied).toMatchObject({ ruleSet: { name: 'station' }, enabledRules: ['SPIKE', 'ZERO_CONSUMPTION'] });
    const area = await server.gql<{ setVeeRuleSet: any }>(
      SET,
      { input: { name: 'area', orgUnitId: meter.areaGid, params: { spikeFactor: '8' }, enabledRules: ['SPIKE'] } },
      manager1,
    );
    applied = (await server.gql<{ veeParametersFor: any }>(PARAMS, { id: meter.gid }, manager1)).data!.veeParametersFor;
    expect(applied).toMatchObject({ ruleSet: { name: 'area' }, params: { zeroDays: 3, spikeFactor: '8' } });
    const residential = await server.gql<{ setVeeRuleSet: any }>(
      SET,
      {
        input: {
          name: 'area, residential',
          orgUnitId: meter.areaGid,
          customerCategory: 'RESIDENTIAL',
          enabledRules: [],
        },
      },
      manager1,
    );
    applied = (await server.gql<{ veeParametersFor: any }>(PARAMS, { id: meter.gid }, manager1)).data!.veeParametersFor;
    expect(applied).toMatchObject({ ruleSet: { name: 'area, residential' }, enabledRules: [] });

    const list = await server.gql<{ veeRuleSets: { totalCount: number } }>(
      `{ veeRuleSets(first: 10) { totalCount } }`,
      {},
      manager1,
    );
    expect(list.data!.veeRuleSets.totalCount).toBe(4);
    // manager2 sees none of them, changes none, deletes none.
    const theirs = await server.gql<{ veeRuleSets: { totalCount: number } }>(
      `{ veeRuleSets(first: 10) { totalCount } }`,
      {},
      manager2,
    );
    expect(theirs.data!.veeRuleSets.totalCount).toBe(0);
    const del = `mutation($id: ID!) { deleteVeeRuleSet(input: { id: $id }) { deletedId } }`;
    const refused = await server.gql(del, { id: residential.data!.setVeeRuleSet.veeRuleSet.id }, manager2);
    expect(onlyError(refused).extensions?.code).toBe('BAD_USER_INPUT');
    for (const set of [stationSet, area, residential])
      expect((await server.gql(del, { id: set.data!.setVeeRuleSet.veeRuleSet.id }, manager1)).errors).toBeUndefined();
    expect((await one<{ n: number }>(`select count(*)::int as n from vee_rule_set`)).n).toBe(1);
  });

  it('refuses bad rule sets and ranges with the paths, writing nothing', async () => {
    const bad = await server.gql(
      `mutation($input: SetVeeRuleSetInput!) { setVeeRuleSet(input: $input) { veeRuleSet { id } } }`,
      {
        input: {
          name: '',
          orgUnitId: station.gid,
          params: { historyDays: 0, spikeFactor: '-1' },
          enabledRules: ['SPIKE', 'SPIKE', 'IMPLAUSIBLE_JUMP'],
        },
      },
      manager1,
    );
    const error = onlyError(bad);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.fields?.map((f) => f.path.join('.')).sort()).toEqual([
      'input.enabledRules.1',
      'input.enabledRules.2',
      'input.name',
      'input.params.historyDays',
      'input.params.spikeFactor',
    ]);
    const reversed = onlyError(await server.gql(VALIDATE, RANGE(station.gid, today, addDays(today, -1)), manager1));
    expect(reversed.extensions?.fields).toEqual([{ path: ['input', 'to'], message: 'must not be before from' }]);
    const long = onlyError(await server.gql(ESTIMATE, RANGE(station.gid, addDays(today, -100), today), manager1));
    expect(long.extensions?.fields?.[0]?.path).toEqual(['input', 'to']);
    const ancient = onlyError(await server.gql(VALIDATE, RANGE(station.gid, '0001-01-01', '0001-01-31'), manager1));
    expect(ancient.extensions?.fields?.map((f) => f.path)).toEqual([
      ['input', 'from'],
      ['input', 'to'],
    ]);
    expect((await one<{ n: number }>(`select count(*)::int as n from vee_rule_set`)).n).toBe(1);
  });

  it("gives another station's manager nothing of it", async () => {
    const id = (await readingAt('FORWARD_ACTIVE_TOTAL', addDays(today, -4)))!;
    const fingerprint = async () =>
      one<{ v: string; n: number }>(
        `select (select md5(string_agg(id || ':' || flags || ':' || quality || ':' || value || ':' || source, ',' order by id)) from reading where meter_id = ?) as v,
                (select count(*)::int from reading_version) as n`,
        [meter.id],
      );
    const before = await fingerprint();
    const range = RANGE(station.gid, addDays(today, -20), addDays(today, -1));
    expect(onlyError(await server.gql(VALIDATE, range, manager2)).extensions?.code).toBe('NOT_FOUND');
    expect(onlyError(await server.gql(ESTIMATE, range, manager2)).extensions?.code).toBe('NOT_FOUND');
    const edit = await server.gql(
      EDIT,
      { input: { readingId: toGlobalId('Reading', id), value: '1', reason: 'not mine' } },
      manager2,
    );
    expect(onlyError(edit).extensions?.code).toBe('NOT_FOUND');
    const params = await server.gql(
      `query($id: ID!) { veeParametersFor(meterId: $id) { enabledRules } }`,
      { id: meter.gid },
      manager2,
    );
    expect(onlyError(params).extensions?.code).toBe('NOT_FOUND');
    // A reader may read readings but not change them.
    const reader = await server.login('reader1');
    expect(onlyError(await server.gql(VALIDATE, range, reader)).extensions?.code).toBe('FORBIDDEN');
    expect(await fingerprint()).toEqual(before);
  });
});
