import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/shared/global-id.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';
import { idOf, JPEG, sqlOf, uploadPhoto } from './support/field-fixtures.js';

/**
 * Hazard reports over HTTP with real tokens (paper 3.3): ST-YJ's reader1 finds hazards and
 * photographs them, ST-YJ's manager1 verifies or dismisses them, ST-TY's manager2 sees none of it.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
const the = {} as {
  yjBox: number;
  yjBoxMeter: number;
  tyBox: number;
  yjArea: number;
  yjStation: number;
  reader1: number;
};

const REPORT = `mutation($i: ReportHazardInput!) { reportHazard(input: $i) { hazardReport {
  id category status description points latitude longitude reportedAt
  reporter { username } orgUnit { code } meterBox { barcode } meter { id } customer { accountNo }
  photos { id url contentType uploadedBy { username } } rectification { id } } } }`;
const VERIFY = `mutation($i: VerifyHazardInput!) { verifyHazard(input: $i) { hazardReport {
  id status points verifiedAt verificationNote verifier { username } } } }`;
const DISMISS = `mutation($i: DismissHazardInput!) { dismissHazard(input: $i) { hazardReport {
  id status points verificationNote verifier { username } } } }`;
const LIST = `query($f: HazardReportFilter, $first: Int) { hazardReports(filter: $f, first: $first) {
  totalCount nodes { id category status reporter { username } } } }`;

interface Report {
  id: string;
  category: string;
  status: string;
  points: number;
  orgUnit: { code: string };
  photos: { id: string; url: string; uploadedBy: { username: string } | null }[];
  [k: string]: unknown;
}

const gql = <T>(token: string | undefined, query: string, variables: Record<string, unknown> = {}) =>
  server.gql<T>(query, variables, token);
const ok = async <T>(token: string, query: string, variables: Record<string, unknown> = {}) => {
  const res = await gql<T>(token, query, variables);
  if (res.errors) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
  return res.data!;
};
const report = async (token: string, input: Record<string, unknown>) =>
  (await ok<{ reportHazard: { hazardReport: Report } }>(token, REPORT, { i: input })).reportHazard.hazardReport;
const reports = async () =>
  Number((await sqlOf(server).one<{ n: string }>(`select count(*) as n from hazard_report`)).n);

beforeAll(async () => {
  server = await startTestServer();
  for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'inspector1', 'auditor', 'customer1'])
    tokens[user] = await server.login(user);
  the.yjBox = await idOf(server, 'meter_box', 'barcode', 'MBTAYJ02003');
  the.tyBox = await idOf(server, 'meter_box', 'barcode', 'MBTATY01003');
  the.yjArea = await idOf(server, 'org_unit', 'code', 'TA-YJ-02');
  the.yjStation = await idOf(server, 'org_unit', 'code', 'ST-YJ');
  the.reader1 = await idOf(server, 'app_user', 'username', 'reader1');
  the.yjBoxMeter = Number(
    (
      await sqlOf(server).one<{ id: number }>(`select id from meter where meter_box_id = ? order by id limit 1`, [
        the.yjBox,
      ])
    ).id,
  );
}, 180_000);
afterAll(async () => server?.stop());

describe('reporting a hazard', () => {
  it("takes photos uploaded beforehand, and belongs to the box's unit", async () => {
    const first = await uploadPhoto(
      server,
      tokens.reader1,
      { bytes: JPEG },
      { latitude: '23.9221', longitude: '106.6127' },
    );
    const second = await uploadPhoto(server, tokens.reader1, { bytes: JPEG });
    expect([first.status, second.status]).toEqual([201, 201]);
    const created = await report(tokens.reader1!, {
      category: 'ELECTRICITY_THEFT',
      description: 'Bypass cable around the meter, seal cut',
      meterBoxId: toGlobalId('MeterBox', the.yjBox),
      meterId: toGlobalId('Meter', the.yjBoxMeter),
      latitude: '23.9221',
      longitude: '106.6127',
      photoIds: [first.body.id, second.body.id],
    });
    expect(created).toMatchObject({
      category: 'ELECTRICITY_THEFT',
      status: 'REPORTED',
      points: 0,
      // Readers may not read users (their colleagues' accounts), their own included.
      reporter: null,
      orgUnit: { code: 'TA-YJ-02' },
      meterBox: { barcode: 'MBTAYJ02003' },
      meter: { id: toGlobalId('Meter', the.yjBoxMeter) },
      rectification: null,
    });
    expect(created.photos.map((p) => p.id)).toEqual([first.body.id, second.body.id]);
    // The photos moved to the report's unit, and more can be added to it afterwards.
    const after = await uploadPhoto(server, tokens.reader1, { bytes: JPEG }, { hazardReportId: created.id });
    expect(after.status).toBe(201);
    const { hazardReport } = await ok<{ hazardReport: Report }>(
      tokens.manager1!,
      `query($id: ID!) { hazardReport(id: $id) { id reporter { username } photos { id uploadedBy { username } } } }`,
      { id: created.id },
    );
    expect(hazardReport.photos.map((p) => p.id)).toEqual([first.body.id, second.body.id, after.body.id]);
    expect(hazardReport.photos[0]!.uploadedBy).toEqual({ username: 'reader1' });
    expect(hazardReport.reporter).toEqual({ username: 'reader1' });
    const units = await sqlOf(server).rows<{ org_unit_id: number }>(
      `select distinct org_unit_id from field_photo where hazard_report_id = ?`,
      [Buffer.from(created.id, 'base64url').toString().split(':')[1]],
    );
    expect(units.map((u) => Number(u.org_unit_id))).toEqual([the.yjArea]);
  });

  it("belongs to the reporter's unit when it names no box, meter or customer", async () => {
    const created = await report(tokens.inspector1!, { category: 'OTHER', description: 'Fallen pole near the market' });
    expect(created.orgUnit.code).toBe('ST-YJ');
    expect(created.photos).toEqual([]);
  });

  it('refuses what the reporter may not use, naming each field, and changes nothing', async () => {
    const before = await reports();
    const foreignPhoto = await uploadPhoto(server, tokens.manager2, { bytes: JPEG });
    const linked = (
      await sqlOf(server).one<{ id: number }>(`select id from field_photo where hazard_report_id is not null limit 1`)
    ).id;
    const cases: [Record<string, unknown>, (string | number)[][]][] = [
      [{ meterBoxId: toGlobalId('MeterBox', the.tyBox) }, [['input', 'meterBoxId']]],
      [{ photoIds: [foreignPhoto.body.id] }, [['input', 'photoIds', 0]]],
      [{ photoIds: [toGlobalId('FieldPhoto', Number(linked))] }, [['input', 'photoIds', 0]]],
      [{ description: '   ' }, [['input', 'description']]],
      [{ latitude: '23.9' }, [['input', 'longitude']]],
      [
        {
          meterBoxId: toGlobalId('MeterBox', the.yjBox),
          meterId: toGlobalId('Meter', await idOf(server, 'meter', 'barcode', '31200000000002')),
        },
        [['input', 'meterId']],
      ],
    ];
    for (const [input, paths] of cases) {
      const error = onlyError(
        await gql(tokens.reader1, REPORT, { i: { category: 'SEAL_BROKEN', description: 'Seal missing', ...input } }),
      );
      expect(error.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(
        error.extensions?.fields?.map((f) => f.path),
        JSON.stringify(input),
      ).toEqual(paths);
    }
    // A foreign box is refused exactly like one that does not exist.
    const foreign = onlyError(
      await gql(tokens.reader1, REPORT, {
        i: { category: 'OTHER', description: 'x', meterBoxId: toGlobalId('MeterBox', the.tyBox) },
      }),
    );
    const missing = onlyError(
      await gql(tokens.reader1, REPORT, {
        i: { category: 'OTHER', description: 'x', meterBoxId: toGlobalId('MeterBox', 2_000_000) },
      }),
    );
    expect(foreign.extensions).toEqual(missing.extensions);
    // Customers and auditors report nothing.
    for (const who of ['customer1', 'auditor'])
      expect(
        onlyError(await gql(tokens[who], REPORT, { i: { category: 'OTHER', description: 'x' } })).extensions?.code,
      ).toBe('FORBIDDEN');
    expect(await reports()).toBe(before);
  });
});

describe('verifying and dismissing', () => {
  let theft: Report;
  let damage: Report;
  let other: Report;
  beforeAll(async () => {
    theft = await report(tokens.reader1!, {
      category: 'ELECTRICITY_THEFT',
      description: 'Magnet on the meter',
      meterBoxId: toGlobalId('MeterBox', the.yjBox),
    });
    damage = await report(tokens.reader1!, {
      category: 'METER_BOX_DAMAGE',
      description: 'Box door torn off',
      meterBoxId: toGlobalId('MeterBox', the.yjBox),
    });
    other = await report(tokens.reader1!, { category: 'OTHER', description: 'Loose cover' });
  });

  it("earns the reporter the category's points, or the verifier's", async () => {
    const verified = await ok<{ verifyHazard: { hazardReport: Report } }>(tokens.manager1!, VERIFY, {
      i: { id: theft.id, note: 'Confirmed on site' },
    });
    expect(verified.verifyHazard.hazardReport).toMatchObject({
      status: 'VERIFIED',
      points: 10,
      verificationNote: 'Confirmed on site',
      verifier: { username: 'manager1' },
    });
    const generous = await ok<{ verifyHazard: { hazardReport: Report } }>(tokens.manager1!, VERIFY, {
      i: { id: damage.id, points: 7 },
    });
    expect(generous.verifyHazard.hazardReport.points).toBe(7);
    // What the reporter earned today shows on their phone.
    const stats = await ok<{
      fieldStatistics: { hazardsReported: number; hazardsVerified: number; pointsEarned: number };
    }>(tokens.reader1!, `{ fieldStatistics { hazardsReported hazardsVerified pointsEarned } }`);
    expect(stats.fieldStatistics).toMatchObject({ hazardsVerified: 2, pointsEarned: 17 });
    expect(stats.fieldStatistics.hazardsReported).toBeGreaterThanOrEqual(4);
  });

  it('decides a report once, and takes no more photos once decided', async () => {
    const again = onlyError(await gql(tokens.manager1, VERIFY, { i: { id: theft.id } }));
    expect(again.extensions?.code).toBe('BAD_USER_INPUT');
    expect(again.extensions?.fields?.map((f) => f.path)).toEqual([['input', 'id']]);
    expect(onlyError(await gql(tokens.manager1, DISMISS, { i: { id: theft.id, note: 'no' } })).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    const late = await uploadPhoto(server, tokens.reader1, { bytes: JPEG }, { hazardReportId: theft.id });
    expect(late.status).toBe(400);
    expect(late.body.fields!.map((f) => f.path)).toEqual([['hazardReportId']]);
  });

  it('keeps points within 1-100 and lets nobody verify their own report', async () => {
    for (const points of [0, 101]) {
      const error = onlyError(await gql(tokens.manager1, VERIFY, { i: { id: other.id, points } }));
      expect(error.extensions?.fields?.map((f) => f.path)).toEqual([['input', 'points']]);
    }
    const own = await report(tokens.manager1!, { category: 'WIRING_DANGER', description: 'Bare wire at the pole' });
    expect(onlyError(await gql(tokens.manager1, VERIFY, { i: { id: own.id } })).extensions?.code).toBe('FORBIDDEN');
    expect(onlyError(await gql(tokens.manager1, DISMISS, { i: { id: own.id, note: 'mine' } })).extensions?.code).toBe(
      'FORBIDDEN',
    );
    // Field staff do not verify; another station's manager finds nothing to verify.
    expect(onlyError(await gql(tokens.inspector1, VERIFY, { i: { id: other.id } })).extensions?.code).toBe('FORBIDDEN');
    const foreign = onlyError(await gql(tokens.manager2, VERIFY, { i: { id: other.id } }));
    const missing = onlyError(await gql(tokens.manager2, VERIFY, { i: { id: toGlobalId('HazardReport', 2_000_000) } }));
    expect(foreign.extensions?.code).toBe('NOT_FOUND');
    expect(foreign.message.replace(other.id, '<id>')).toBe(
      missing.message.replace(toGlobalId('HazardReport', 2_000_000), '<id>'),
    );
    const stored = await sqlOf(server).one<{ status: string; points: number }>(
      `select status, points from hazard_report where id = ?`,
      [Buffer.from(other.id, 'base64url').toString().split(':')[1]],
    );
    expect(stored).toEqual({ status: 'REPORTED', points: 0 });
  });

  it('dismisses with a reason and no points', async () => {
    const empty = onlyError(await gql(tokens.manager1, DISMISS, { i: { id: other.id, note: ' ' } }));
    expect(empty.extensions?.fields?.map((f) => f.path)).toEqual([['input', 'note']]);
    const dismissed = await ok<{ dismissHazard: { hazardReport: Report } }>(tokens.manager1!, DISMISS, {
      i: { id: other.id, note: 'Cover was already replaced' },
    });
    expect(dismissed.dismissHazard.hazardReport).toMatchObject({
      status: 'DISMISSED',
      points: 0,
      verificationNote: 'Cover was already replaced',
      verifier: { username: 'manager1' },
    });
  });
});

describe('listing reports', () => {
  it('filters by status, category, reporter and subtree, within what the caller may see', async () => {
    const list = async (token: string, f: Record<string, unknown> = {}) =>
      (
        await ok<{
          hazardReports: {
            totalCount: number;
            nodes: { id: string; category: string; status: string; reporter: { username: string } | null }[];
          };
        }>(token, LIST, { f, first: 50 })
      ).hazardReports;
    const all = await list(tokens.manager1!);
    expect(all.totalCount).toBe(all.nodes.length);
    expect(all.totalCount).toBeGreaterThanOrEqual(6);
    expect((await list(tokens.manager1!, { statuses: ['VERIFIED'] })).nodes.map((n) => n.status)).toEqual([
      'VERIFIED',
      'VERIFIED',
    ]);
    expect(
      (await list(tokens.manager1!, { categories: ['WIRING_DANGER'] })).nodes.map((n) => n.reporter!.username),
    ).toEqual(['manager1']);
    const byReader = await list(tokens.manager1!, { reportedById: toGlobalId('User', the.reader1) });
    expect(new Set(byReader.nodes.map((n) => n.reporter!.username))).toEqual(new Set(['reader1']));
    const inArea = await list(tokens.manager1!, { orgUnitSubtree: toGlobalId('OrgUnit', the.yjArea) });
    expect(inArea.totalCount).toBe(3);
    expect((await list(tokens.reader1!)).totalCount).toBe(all.totalCount);
    expect((await list(tokens.auditor!)).totalCount).toBe(all.totalCount);
    // Another station sees nothing of it, by list, by id or as a node.
    expect((await list(tokens.manager2!)).totalCount).toBe(0);
    expect((await list(tokens.manager2!, { orgUnitSubtree: toGlobalId('OrgUnit', the.yjStation) })).nodes).toEqual([]);
    const id = all.nodes[0]!.id;
    expect(
      onlyError(await gql(tokens.manager2, `query($id: ID!) { hazardReport(id: $id) { id } }`, { id })).extensions
        ?.code,
    ).toBe('NOT_FOUND');
    expect(
      (await ok<{ node: unknown }>(tokens.manager2!, `query($id: ID!) { node(id: $id) { id } }`, { id })).node,
    ).toBeNull();
    expect(
      (await ok<{ node: { id: string } }>(tokens.reader1!, `query($id: ID!) { node(id: $id) { id } }`, { id })).node,
    ).toEqual({ id });
    expect((await list(tokens.customer1!)).totalCount).toBe(0);
  });

  it('refuses a time range that ends before it starts', async () => {
    const error = onlyError(
      await gql(tokens.manager1, LIST, {
        f: { from: new Date().toISOString(), to: new Date(Date.now() - 1000).toISOString() },
      }),
    );
    expect(error.extensions?.fields?.map((f) => f.path)).toEqual([['filter', 'to']]);
  });
});
