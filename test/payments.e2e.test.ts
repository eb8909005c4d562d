import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../src/shared/decimal.js';
import { fromGlobalId } from '../src/shared/global-id.js';
import { DEMO_CUSTOMER_ACCOUNT, onlyError, startTestServer, type Subscription, type TestServer } from './harness.js';

/**
 * Payments, balances and prepayment through the API, on the demo with three months of readings:
 * last month is settled and customer1's bill issued, then customer1 pays, becomes prepaid, runs
 * low, is tripped and tops up, while staff of both stations and customer1 listen for notices.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
let customerId: string;
let billId: string;
let billTotal: string;
const PERIOD = DateTime.now().setZone('Asia/Shanghai').minus({ months: 1 }).toFormat('yyyy-MM');

const RECORD = `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  replayed payment { id amount method reference paidAt customer { accountNo } recordedBy { username } } } }`;
const REVERSE = `mutation($input: ReversePaymentInput!) { reversePayment(input: $input) {
  replayed payment { id amount reason reverses { id } } } }`;
const SET_PREPAYMENT = `mutation($input: SetPrepaymentInput!) { setPrepayment(input: $input) {
  customer { account { status prepaid lowBalanceAlert tripBelow balance } } } }`;
const ACCOUNT = `query($id: ID!) { customer(id: $id) { account {
  balance billed paid lastPaymentAt status prepaid lowBalanceAlert tripBelow fieldVisitNeeded } } }`;
const EVENTS = `query($f: PrepaymentEventFilter) { prepaymentEvents(first: 50, filter: $f) { totalCount nodes {
  id kind state balance outcome detail fieldVisitNeeded at meter { id } customer { accountNo } } } }`;
const NOTICES = `subscription { prepaymentNotices { id kind state balance outcome detail fieldVisitNeeded customer { accountNo } } }`;

interface Account {
  balance: string;
  billed: string;
  paid: string;
  lastPaymentAt: string | null;
  status: string;
  prepaid: boolean;
  lowBalanceAlert: string | null;
  tripBelow: string;
  fieldVisitNeeded: boolean;
}
interface PrepaymentEvent {
  id: string;
  kind: string;
  state: string;
  balance: string;
  outcome: string | null;
  detail: string | null;
  fieldVisitNeeded: boolean;
  meter: { id: string } | null;
}

async function ok<T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  expect(res.errors, query).toBeUndefined();
  return res.data!;
}
/** Money as the API gives it is canonical ("5", "-20"): compared here to the fen. */
const fen = (value: string) => new Dec(value).toFixed(2);
const account = async (token = tokens.manager1!) => {
  const a = (await ok<{ customer: { account: Account } }>(ACCOUNT, { id: customerId }, token)).customer.account;
  return {
    ...a,
    balance: fen(a.balance),
    billed: fen(a.billed),
    paid: fen(a.paid),
    tripBelow: fen(a.tripBelow),
    lowBalanceAlert: a.lowBalanceAlert === null ? null : fen(a.lowBalanceAlert),
  };
};
const events = async (token = tokens.manager1!) =>
  (
    await ok<{ prepaymentEvents: { nodes: PrepaymentEvent[] } }>(EVENTS, { f: { customerId } }, token)
  ).prepaymentEvents.nodes
    .reverse()
    .map((e) => ({ ...e, balance: fen(e.balance) }));
let refs = 0;
const pay = (amount: string, reference = `RCPT-${Date.now()}-${++refs}`, token = tokens.manager1!) =>
  server.gql<{ recordPayment: { replayed: boolean; payment: { id: string; amount: string } } }>(
    RECORD,
    { input: { customerId, amount, method: 'WECHAT', reference } },
    token,
  );
const paymentCount = async () =>
  Number(
    ((await server.em().getConnection().execute(`select count(*) as n from payment`, [])) as { n: string }[])[0]!.n,
  );
const until = async (check: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !check() && Date.now() < end;) await new Promise((r) => setTimeout(r, 25));
};

beforeAll(async () => {
  server = await startTestServer({ demo: true, demoDays: 92 });
  for (const user of ['admin', 'manager1', 'manager2', 'customer1']) tokens[user] = await server.login(user);
  const m1 = tokens.manager1!;
  const found = await ok<{ customerByAccountNo: { id: string } }>(
    `query($a: String!) { customerByAccountNo(accountNo: $a) { id } }`,
    { a: DEMO_CUSTOMER_ACCOUNT },
    m1,
  );
  customerId = found.customerByAccountNo.id;
  const units = await ok<{ orgUnits: { nodes: { id: string; code: string }[] } }>(
    `{ orgUnits(first: 10, filter: { search: "ST-YJ" }) { nodes { id code } } }`,
    {},
    m1,
  );
  const station = units.orgUnits.nodes.find((u) => u.code === 'ST-YJ')!.id;
  await ok(
    `mutation($input: RunSettlementInput!) { runSettlement(input: $input) { run { id } } }`,
    { input: { orgUnitId: station, period: PERIOD } },
    m1,
  );
  await server.app.settlements.idle();
  const bills = await ok<{ bills: { nodes: { id: string; totalAmount: string }[] } }>(
    `query($f: BillFilter) { bills(first: 5, filter: $f) { nodes { id totalAmount } } }`,
    { f: { customerId, period: PERIOD } },
    m1,
  );
  expect(bills.bills.nodes).toHaveLength(1);
  billId = bills.bills.nodes[0]!.id;
  billTotal = bills.bills.nodes[0]!.totalAmount;
  expect(new Dec(billTotal).gt(0)).toBe(true);
  await ok(
    `mutation($input: BillsInput!) { approveBills(input: $input) { bills { id } } }`,
    { input: { billIds: [billId] } },
    m1,
  );
}, 180_000);
afterAll(async () => server?.stop());

describe('payments and balances', () => {
  it('starts at zero and owes the bill once it is issued', async () => {
    expect(await account()).toMatchObject({ balance: '0.00', billed: '0.00', paid: '0.00', status: 'NORMAL' });
    await ok(
      `mutation($input: BillsInput!) { issueBills(input: $input) { bills { id } } }`,
      { input: { billIds: [billId] } },
      tokens.manager1!,
    );
    const after = await account();
    expect(after).toMatchObject({ billed: new Dec(billTotal).toFixed(2), paid: '0.00', lastPaymentAt: null });
    expect(after.balance).toBe(new Dec(billTotal).negated().toFixed(2));
  });

  it('records a payment that brings the balance up, exactly', async () => {
    const amount = new Dec(billTotal).plus('10.01').toFixed(2);
    const res = await pay(amount, 'WX-4200001234');
    expect(res.errors).toBeUndefined();
    expect(fen(res.data!.recordPayment.payment.amount)).toBe(amount);
    expect(res.data!.recordPayment).toMatchObject({
      replayed: false,
      payment: {
        method: 'WECHAT',
        reference: 'WX-4200001234',
        customer: { accountNo: DEMO_CUSTOMER_ACCOUNT },
        recordedBy: { username: 'manager1' },
      },
    });
    const after = await account();
    expect(after).toMatchObject({ balance: '10.01', paid: amount, status: 'NORMAL' });
    expect(after.lastPaymentAt).not.toBeNull();
  });

  it('answers a replayed payment with the one recorded, and another payment with its reference with CONFLICT', async () => {
    const before = await paymentCount();
    const first = await pay(new Dec(billTotal).plus('10.01').toFixed(2), 'WX-4200001234');
    expect(first.data!.recordPayment.replayed).toBe(true);
    const again = await pay(new Dec(billTotal).plus('10.010').toFixed(3).replace(/0$/, ''), 'WX-4200001234');
    expect(again.data!.recordPayment.payment.id).toBe(first.data!.recordPayment.payment.id);
    const other = await pay('1.00', 'WX-4200001234');
    expect(onlyError(other).extensions).toMatchObject({ code: 'CONFLICT', fields: [{ path: ['input', 'reference'] }] });
    expect(await paymentCount()).toBe(before);
    expect((await account()).balance).toBe('10.01');
  });

  it('refuses bad amounts with their paths and writes nothing', async () => {
    const before = await paymentCount();
    for (const amount of ['0', '0.00', '-5.00', '1.234', '12345678901234.00']) {
      const res = await pay(amount);
      expect(onlyError(res).extensions, amount).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [{ path: ['input', 'amount'] }],
      });
    }
    const future = await server.gql(
      RECORD,
      {
        input: {
          customerId,
          amount: '1',
          method: 'CASH',
          reference: 'FUTURE-1',
          paidAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      },
      tokens.manager1,
    );
    expect(onlyError(future).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'paidAt'] }],
    });
    expect(await paymentCount()).toBe(before);
  });

  it('lets no one record a payment for a customer outside their subtree, and customers none', async () => {
    const before = await paymentCount();
    const cross = await pay('5.00', 'TY-ATTEMPT-1', tokens.manager2);
    expect(onlyError(cross).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'customerId'] }],
    });
    const own = await pay('5.00', 'SELF-ATTEMPT-1', tokens.customer1);
    expect(onlyError(own).extensions?.code).toBe('FORBIDDEN');
    expect(await paymentCount()).toBe(before);
    // manager2 sees neither the account nor the payments.
    const seen = await server.gql<{ payments: { totalCount: number } }>(
      `{ payments(first: 5) { totalCount } }`,
      {},
      tokens.manager2,
    );
    expect(seen.data!.payments.totalCount).toBe(0);
  });

  it('shows customer1 their own account and payments only', async () => {
    await ok(
      RECORD,
      {
        input: {
          customerId: (
            await ok<{ customerByAccountNo: { id: string } }>(
              `query { customerByAccountNo(accountNo: "060100000002") { id } }`,
              {},
              tokens.manager1!,
            )
          ).customerByAccountNo.id,
          amount: '7.00',
          method: 'CASH',
          reference: 'OTHER-CUSTOMER-1',
        },
      },
      tokens.manager1!,
    );
    const mine = await ok<{ payments: { totalCount: number; nodes: { customer: { accountNo: string } }[] } }>(
      `{ payments(first: 50) { totalCount nodes { customer { accountNo } } } }`,
      {},
      tokens.customer1!,
    );
    expect(mine.payments.totalCount).toBe(1);
    expect(mine.payments.nodes.map((p) => p.customer.accountNo)).toEqual([DEMO_CUSTOMER_ACCOUNT]);
    const staff = await ok<{ payments: { totalCount: number } }>(
      `{ payments(first: 50) { totalCount } }`,
      {},
      tokens.manager1!,
    );
    expect(staff.payments.totalCount).toBe(2);
    expect(await account(tokens.customer1)).toEqual(await account());
  });
});

describe('prepayment', () => {
  const subs: Record<string, Subscription> = {};
  const notices = (who: string) =>
    subs[who]!.received.map((r: { data: { prepaymentNotices: PrepaymentEvent } }) => r.data.prepaymentNotices);
  let topUp: { id: string };
  let first: { id: string };

  beforeAll(async () => {
    for (const who of ['manager1', 'manager2', 'customer1', 'admin'])
      subs[who] = server.subscribe(tokens[who], NOTICES);
    // A subscription takes a moment to register.
    await new Promise((r) => setTimeout(r, 500));
    first = (
      await ok<{ payments: { nodes: { id: string }[] } }>(
        `query($f: PaymentFilter) { payments(first: 1, filter: $f) { nodes { id } } }`,
        { f: { customerId } },
        tokens.manager1!,
      )
    ).payments.nodes[0]!;
  });
  afterAll(async () => Promise.all(Object.values(subs).map((s) => s.client.dispose())));

  it('makes a customer prepaid: above the alert nothing happens', async () => {
    const res = await pay('20.00');
    topUp = res.data!.recordPayment.payment;
    expect((await account()).balance).toBe('30.01');
    const set = await ok<{ setPrepayment: { customer: { account: Account } } }>(
      SET_PREPAYMENT,
      { input: { customerId, prepaid: true, lowBalanceAlert: '25', tripBelow: '0' } },
      tokens.manager1!,
    );
    expect(set.setPrepayment.customer.account).toMatchObject({
      status: 'NORMAL',
      prepaid: true,
      lowBalanceAlert: '25',
      tripBelow: '0',
    });
    expect(await events()).toEqual([]);
  });

  it('refuses thresholds that do not fit, and customers and other stations', async () => {
    const bad = await server.gql(
      SET_PREPAYMENT,
      { input: { customerId, prepaid: true, lowBalanceAlert: '-1', tripBelow: '0' } },
      tokens.manager1,
    );
    expect(onlyError(bad).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'lowBalanceAlert'] }],
    });
    const cross = await server.gql(SET_PREPAYMENT, { input: { customerId, prepaid: false } }, tokens.manager2);
    expect(onlyError(cross).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'customerId'] }],
    });
    const self = await server.gql(SET_PREPAYMENT, { input: { customerId, prepaid: false } }, tokens.customer1);
    expect(onlyError(self).extensions?.code).toBe('FORBIDDEN');
    expect((await account()).prepaid).toBe(true);
  });

  it('notifies once when the balance drops below the alert (a reversed payment)', async () => {
    const reversed = await ok<{
      reversePayment: { replayed: boolean; payment: { amount: string; reverses: { id: string } } };
    }>(REVERSE, { input: { paymentId: topUp.id, reason: 'the transfer bounced' } }, tokens.manager1!);
    expect(reversed.reversePayment).toMatchObject({
      replayed: false,
      payment: { amount: '-20', reverses: { id: topUp.id } },
    });
    expect(await account()).toMatchObject({ balance: '10.01', status: 'LOW_BALANCE' });
    const recorded = await events();
    expect(recorded.map((e) => [e.kind, e.state, e.balance, e.outcome])).toEqual([
      ['NOTIFY_LOW_BALANCE', 'LOW_BALANCE', '10.01', null],
    ]);
    await until(() => notices('customer1').length > 0 && notices('manager1').length > 0);
    for (const who of ['customer1', 'manager1', 'admin'])
      expect(
        notices(who).map((n) => n.kind),
        who,
      ).toEqual(['NOTIFY_LOW_BALANCE']);
    // Replaying the reversal changes nothing and notifies no one again.
    const again = await ok<{ reversePayment: { replayed: boolean } }>(
      REVERSE,
      { input: { paymentId: topUp.id, reason: 'again' } },
      tokens.manager1!,
    );
    expect(again.reversePayment.replayed).toBe(true);
    expect(await events()).toHaveLength(1);
  });

  it('trips below tripBelow, records what the relay answered and the field visit it needs', async () => {
    await ok(REVERSE, { input: { paymentId: first.id, reason: 'refunded at the counter' } }, tokens.manager1!);
    const state = await account();
    expect(state.balance).toBe(new Dec(billTotal).negated().toFixed(2));
    expect(state.status).toBe('TRIPPED');
    const trips = (await events()).filter((e) => e.kind === 'TRIP');
    expect(trips.length).toBeGreaterThan(0);
    for (const trip of trips) {
      expect(trip.meter).not.toBeNull();
      // Whatever the relay port answers for this meter is what was recorded (today UNSUPPORTED).
      const expected = await server.app.collection.controlRelay(Number(fromGlobalId(trip.meter!.id)!.id), 'TRIP');
      expect(trip.outcome).toBe(expected.status);
      expect(trip.fieldVisitNeeded).toBe(expected.status !== 'DONE');
      if (expected.status !== 'DONE') expect(trip.detail).toMatch(/field visit needed/);
    }
    expect(state.fieldVisitNeeded).toBe(trips.some((t) => t.outcome !== 'DONE'));
    await until(() => notices('customer1').length > 1);
    const heard = notices('customer1').filter((n) => n.kind === 'TRIP');
    expect(heard.map((n) => n.id)).toEqual(trips.map((t) => t.id));
    for (const n of heard) {
      expect(n.outcome).not.toBe('PENDING');
      if (n.outcome !== 'DONE')
        expect(n).toMatchObject({ fieldVisitNeeded: true, detail: expect.stringMatching(/field visit needed/) });
    }
  });

  it('sends no second trip: issuing the bill again is refused, a replayed payment changes nothing', async () => {
    const before = await events();
    const reissue = await server.gql(
      `mutation($input: BillsInput!) { issueBills(input: $input) { bills { id } } }`,
      { input: { billIds: [billId] } },
      tokens.manager1,
    );
    expect(onlyError(reissue).extensions?.code).toBe('BAD_USER_INPUT');
    const replay = await pay(new Dec(billTotal).plus('10.01').toFixed(2), 'WX-4200001234');
    expect(replay.data!.recordPayment.replayed).toBe(true);
    // Evaluating again with the same balance (new settings that change nothing) acts on nothing.
    await ok(
      SET_PREPAYMENT,
      { input: { customerId, prepaid: true, lowBalanceAlert: '25', tripBelow: '0' } },
      tokens.manager1!,
    );
    expect(await events()).toEqual(before);
  });

  it('permits reconnection after a top-up at or above tripBelow, then is NORMAL above the alert', async () => {
    const before = (await events()).length;
    await pay(new Dec(billTotal).plus('5').toFixed(2));
    expect(await account()).toMatchObject({ balance: '5.00', status: 'PERMITTED' });
    const permits = (await events()).slice(before);
    expect(permits.length).toBeGreaterThan(0);
    for (const p of permits) {
      expect(p).toMatchObject({ kind: 'PERMIT_CLOSE', state: 'PERMITTED', balance: '5.00' });
      const expected = await server.app.collection.controlRelay(Number(fromGlobalId(p.meter!.id)!.id), 'PERMIT_CLOSE');
      expect(p.outcome).toBe(expected.status);
    }
    await until(() => notices('customer1').some((n) => n.kind === 'PERMIT_CLOSE'));
    expect(notices('customer1').filter((n) => n.kind === 'PERMIT_CLOSE')).toHaveLength(permits.length);
    await pay('100.00');
    expect(await account()).toMatchObject({ balance: '105.00', status: 'NORMAL' });
    expect(await events()).toHaveLength(before + permits.length);
  });

  it('told manager2 nothing, and customer1 only about their own account', async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(notices('manager2')).toEqual([]);
    expect(notices('customer1').map((n) => n.kind)).toEqual(notices('manager1').map((n) => n.kind));
    for (const n of notices('customer1'))
      expect((n as unknown as { customer: { accountNo: string } }).customer.accountNo).toBe(DEMO_CUSTOMER_ACCOUNT);
    const seen = await server.gql<{ prepaymentEvents: { totalCount: number } }>(
      `{ prepaymentEvents(first: 5) { totalCount } }`,
      {},
      tokens.manager2,
    );
    expect(seen.data!.prepaymentEvents.totalCount).toBe(0);
    const own = await ok<{ prepaymentEvents: { totalCount: number } }>(
      `{ prepaymentEvents(first: 5) { totalCount } }`,
      {},
      tokens.customer1!,
    );
    expect(own.prepaymentEvents.totalCount).toBe((await events()).length);
  });
});

describe('a re-bill', () => {
  it('counts only the issued later version: the superseded bill no longer counts', async () => {
    const m1 = tokens.manager1!;
    const before = await account();
    const bill = await ok<{
      bill: { totalAmount: string; determinants: { meterId: string; end: { at: string; value: string } }[] };
    }>(
      `query($id: ID!) { bill(id: $id) { totalAmount determinants { meterId end { at value } } } }`,
      { id: billId },
      m1,
    );
    const end = bill.bill.determinants.at(-1)!;
    const reading = await ok<{ readings: { nodes: { id: string; value: string }[] } }>(
      `query($m: ID!, $from: DateTime!, $to: DateTime!) { readings(first: 1, filter: { meterIds: [$m], from: $from, to: $to, registers: [FORWARD_ACTIVE_TOTAL] }) { nodes { id value } } }`,
      { m: end.meterId, from: end.end.at, to: new Date(new Date(end.end.at).getTime() + 1000).toISOString() },
      m1,
    );
    const corrected = reading.readings.nodes[0]!;
    await ok(
      `mutation($input: EditReadingInput!) { editReading(input: $input) { reading { id } } }`,
      {
        input: {
          readingId: corrected.id,
          value: new Dec(corrected.value).plus(10).toFixed(),
          reason: 'the automatic value was 10 kWh short of the meter face',
        },
      },
      m1,
    );
    await server.app.settlements.idle();
    const drafts = await ok<{ bills: { nodes: { id: string; version: number; totalAmount: string }[] } }>(
      `query($f: BillFilter) { bills(first: 5, filter: $f) { nodes { id version totalAmount } } }`,
      { f: { customerId, period: PERIOD, statuses: ['DRAFT'] } },
      m1,
    );
    const v2 = drafts.bills.nodes[0]!;
    expect(v2.version).toBe(2);
    expect(new Dec(v2.totalAmount).gt(bill.bill.totalAmount)).toBe(true);
    for (const step of ['approveBills', 'issueBills'])
      await ok(
        `mutation($input: BillsInput!) { ${step}(input: $input) { bills { id } } }`,
        { input: { billIds: [v2.id] } },
        m1,
      );
    const after = await account();
    expect(after.billed).toBe(fen(v2.totalAmount));
    expect(after.balance).toBe(new Dec(after.paid).minus(v2.totalAmount).toFixed(2));
    expect(after.paid).toBe(before.paid);
    // No longer prepaid: the thresholds are cleared, and a NORMAL account gets no command.
    const count = (await events()).length;
    await ok(SET_PREPAYMENT, { input: { customerId, prepaid: false, lowBalanceAlert: null } }, m1);
    expect(await account()).toMatchObject({
      prepaid: false,
      lowBalanceAlert: null,
      tripBelow: '0.00',
      status: 'NORMAL',
    });
    expect(await events()).toHaveLength(count);
  });
});
