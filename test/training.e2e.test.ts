import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../src/billing/local-days.js';
import { toGlobalId } from '../src/shared/global-id.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * Training records (paper 3.8) on the demo: a station manager keeps them for the station's staff,
 * field staff read their own, nobody sees another station's.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const today = localDateOf(new Date(), 'Asia/Shanghai');

const FIELDS = `id course completedOn result score hours user { username } recordedBy { username }`;
const RECORD = `mutation($i: RecordTrainingInput!) { recordTraining(input: $i) { trainingRecord { ${FIELDS} } } }`;
const UPDATE = `mutation($i: UpdateTrainingInput!) { updateTraining(input: $i) { trainingRecord { ${FIELDS} } } }`;
const DELETE = `mutation($i: DeleteTrainingInput!) { deleteTraining(input: $i) { deletedId } }`;
const LIST = `query($f: TrainingRecordFilter, $first: Int, $after: String) {
  trainingRecords(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id course completedOn result user { username } } } }`;

interface TrainingRow {
  id: string;
  course: string;
  completedOn: string;
  result: string;
  score: string | null;
  hours: string | null;
  user: { username: string } | null;
  recordedBy: { username: string } | null;
}
type List = {
  trainingRecords: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string };
    nodes: (Pick<TrainingRow, 'id' | 'course' | 'completedOn' | 'result'> & { user: { username: string } | null })[];
  };
};

const count = async () =>
  Number(
    (await server.em().getConnection().execute<{ n: number }[]>(`select count(*)::int as n from training_record`))[0]!
      .n,
  );

const record = async (token: string, input: object) =>
  server.gql<{ recordTraining: { trainingRecord: TrainingRow } }>(RECORD, { i: input }, token);

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'inspector1', 'customer1'])
    tokens[user] = await server.login(user);
  const users = await server
    .em()
    .getConnection()
    .execute<{ id: number; username: string }[]>(`select id, username from app_user`);
  for (const u of users) ids[u.username] = toGlobalId('User', u.id);
  ids.ST_YJ = toGlobalId(
    'OrgUnit',
    (await server.em().getConnection().execute<{ id: number }[]>(`select id from org_unit where code = 'ST-YJ'`))[0]!
      .id,
  );
});
afterAll(async () => server?.stop());

describe('training records', () => {
  let first: TrainingRow;

  it("lets a station manager record a course for the station's staff", async () => {
    const res = await record(tokens.manager1!, {
      userId: ids.reader1,
      course: '低压集抄安全操作 Low-voltage collection safety',
      completedOn: addDays(today, -10),
      result: 'PASSED',
      score: '92.5',
      hours: '8',
    });
    expect(res.errors).toBeUndefined();
    first = res.data!.recordTraining.trainingRecord;
    expect(first).toMatchObject({
      course: '低压集抄安全操作 Low-voltage collection safety',
      completedOn: addDays(today, -10),
      result: 'PASSED',
      score: '92.5',
      hours: '8',
      user: { username: 'reader1' },
      recordedBy: { username: 'manager1' },
    });
    for (const [user, on, result] of [
      ['reader1', addDays(today, -40), 'FAILED'],
      ['inspector1', today, 'ATTENDED'],
    ] as const) {
      const more = await record(tokens.manager1!, {
        userId: ids[user],
        course: 'Meter box inspection',
        completedOn: on,
        result,
      });
      expect(more.errors).toBeUndefined();
    }
    expect(await count()).toBe(3);
  });

  it('refuses bad input with field paths, and writes nothing', async () => {
    const before = await count();
    const bad = onlyError(
      await record(tokens.manager1!, {
        userId: ids.reader1,
        course: ' ',
        completedOn: today,
        result: 'PASSED',
        score: '100.5',
        hours: '0',
      }),
    );
    expect(bad.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.extensions?.fields?.map((f) => f.path.join('.')).sort()).toEqual([
      'input.course',
      'input.hours',
      'input.score',
    ]);
    const cases: [object, string][] = [
      [{ completedOn: addDays(today, 1) }, 'input.completedOn'],
      [{ score: '-1' }, 'input.score'],
      [{ hours: '1.25' }, 'input.hours'],
      // Another station's staff is not the manager's to train.
      [{ userId: ids.manager2 }, 'input.userId'],
      [{ userId: toGlobalId('User', 2_000_000_000) }, 'input.userId'],
    ];
    for (const [change, path] of cases) {
      const error = onlyError(
        await record(tokens.manager1!, {
          userId: ids.reader1,
          course: 'x',
          completedOn: today,
          result: 'PASSED',
          ...change,
        }),
      );
      expect(error.extensions?.code, JSON.stringify(change)).toBe('BAD_USER_INPUT');
      expect(error.extensions?.fields?.map((f) => f.path.join('.'))).toEqual([path]);
    }
    expect(await count()).toBe(before);
  });

  it('refuses customer logins as trainees: they are not staff', async () => {
    const [customerUser] = await server
      .em()
      .getConnection()
      .execute<{ id: number }[]>(`select id from app_user where role = 'CUSTOMER' order by id limit 1`);
    const error = onlyError(
      await record(tokens.admin!, {
        userId: toGlobalId('User', customerUser!.id),
        course: 'x',
        completedOn: today,
        result: 'PASSED',
      }),
    );
    expect(error.extensions?.fields).toEqual([
      { path: ['input', 'userId'], message: expect.stringContaining('not staff') },
    ]);
  });

  it('lists newest first, filters, and pages with a cursor', async () => {
    const all = await server.gql<List>(LIST, { first: 2 }, tokens.manager1);
    expect(all.errors).toBeUndefined();
    expect(all.data!.trainingRecords.totalCount).toBe(3);
    expect(all.data!.trainingRecords.nodes.map((n) => n.completedOn)).toEqual([today, addDays(today, -10)]);
    const rest = await server.gql<List>(
      LIST,
      { first: 2, after: all.data!.trainingRecords.pageInfo.endCursor },
      tokens.manager1,
    );
    expect(rest.data!.trainingRecords.nodes.map((n) => n.completedOn)).toEqual([addDays(today, -40)]);
    const filtered = await server.gql<List>(
      LIST,
      {
        f: {
          userId: ids.reader1,
          from: addDays(today, -30),
          to: addDays(today, 1),
          results: ['PASSED', 'ATTENDED'],
          orgUnitSubtree: ids.ST_YJ,
        },
      },
      tokens.manager1,
    );
    expect(filtered.data!.trainingRecords.nodes.map((n) => n.id)).toEqual([first.id]);
    const bogus = onlyError(
      await server.gql<List>(LIST, { after: Buffer.from('["x",1]').toString('base64url') }, tokens.manager1),
    );
    expect(bogus.extensions?.fields).toEqual([{ path: ['after'], message: expect.any(String) }]);
  });

  it('shows field staff their own records only, and lets them change none', async () => {
    const own = await server.gql<List>(LIST, {}, tokens.reader1);
    expect(own.errors).toBeUndefined();
    expect(own.data!.trainingRecords.nodes.map((n) => n.course).length).toBe(2);
    expect(own.data!.trainingRecords.nodes.every((n) => n.completedOn !== today)).toBe(true);
    const other = await server.gql<List>(LIST, {}, tokens.inspector1);
    expect(other.data!.trainingRecords.nodes.map((n) => n.completedOn)).toEqual([today]);
    const byId = await server.gql<{ trainingRecord: TrainingRow }>(
      `query($id: ID!) { trainingRecord(id: $id) { id course } }`,
      { id: first.id },
      tokens.inspector1,
    );
    expect(onlyError(byId).extensions?.code).toBe('NOT_FOUND');
    const write = await record(tokens.reader1!, {
      userId: ids.reader1,
      course: 'x',
      completedOn: today,
      result: 'PASSED',
    });
    expect(onlyError(write).extensions?.code).toBe('FORBIDDEN');
  });

  it("hides a station's records from another station's manager and from customers", async () => {
    const list = await server.gql<List>(LIST, {}, tokens.manager2);
    expect(list.data!.trainingRecords).toMatchObject({ totalCount: 0, nodes: [] });
    const node = await server.gql<{ node: unknown }>(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: first.id },
      tokens.manager2,
    );
    expect(node.data!.node).toBeNull();
    const asAdmin = await server.gql<{ node: unknown }>(
      `query($id: ID!) { node(id: $id) { __typename ... on TrainingRecord { course } } }`,
      { id: first.id },
      tokens.admin,
    );
    expect(asAdmin.data!.node).toEqual({ __typename: 'TrainingRecord', course: first.course });
    const update = await server.gql(UPDATE, { i: { id: first.id, course: 'x' } }, tokens.manager2);
    expect(onlyError(update).extensions?.fields).toEqual([{ path: ['input', 'id'], message: expect.any(String) }]);
    const customer = await server.gql<List>(LIST, {}, tokens.customer1);
    expect(customer.data!.trainingRecords.nodes).toEqual([]);
  });

  it("lists a person's records on the User type, newest first", async () => {
    const res = await server.gql<{
      user: { trainingRecords: { totalCount: number; nodes: { completedOn: string }[] } };
    }>(
      `query($id: ID!) { user(id: $id) { trainingRecords(first: 1) { totalCount nodes { completedOn } } } }`,
      { id: ids.reader1 },
      tokens.manager1,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.user.trainingRecords).toEqual({ totalCount: 2, nodes: [{ completedOn: addDays(today, -10) }] });
  });

  it('updates (clearing the score) and deletes', async () => {
    const res = await server.gql<{ updateTraining: { trainingRecord: TrainingRow } }>(
      UPDATE,
      { i: { id: first.id, result: 'ATTENDED', score: null, completedOn: addDays(today, -9) } },
      tokens.manager1,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateTraining.trainingRecord).toMatchObject({
      result: 'ATTENDED',
      score: null,
      hours: '8',
      completedOn: addDays(today, -9),
      course: first.course,
    });
    const future = onlyError(
      await server.gql(UPDATE, { i: { id: first.id, completedOn: addDays(today, 2) } }, tokens.manager1),
    );
    expect(future.extensions?.fields).toEqual([
      { path: ['input', 'completedOn'], message: 'must not be in the future' },
    ]);
    const deleted = await server.gql<{ deleteTraining: { deletedId: string } }>(
      DELETE,
      { i: { id: first.id } },
      tokens.manager1,
    );
    expect(deleted.data).toEqual({ deleteTraining: { deletedId: first.id } });
    expect(await count()).toBe(2);
    const again = onlyError(await server.gql(DELETE, { i: { id: first.id } }, tokens.manager1));
    expect(again.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
