import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '../auth/password.js';
import {
  CollectionSchedule,
  ScheduleKind,
  Customer,
  CustomerCategory,
  Meter,
  MeterAssignment,
  MeterBox,
  MeterProtocol,
  MeterStatus,
  OrgUnit,
  OrgUnitKind,
  Role,
  ServicePoint,
  Tariff,
  User,
} from '../orm/entities/index.js';
import { Dec } from '../shared/decimal.js';
import type { PersonalDataCipher } from '../shared/personal-data.js';
import { sealCustomerPersonalData } from '../orm/personal-data.js';
import { seedDemoTariffs } from './tariffs.js';
import { registersAt, registerTexts, type Profile } from '../collectors/builtin/simulator/load-curve.js';

/** Demo logins, printed at start. Never created outside the demo. */
export const DEMO_LOGINS: { username: string; password: string; role: Role; note: string }[] = [
  { username: 'admin', password: 'metergraph-admin', role: Role.ADMIN, note: 'everything' },
  { username: 'manager1', password: 'metergraph-demo', role: Role.STATION_MANAGER, note: 'Youjiang station only' },
  { username: 'manager2', password: 'metergraph-demo', role: Role.STATION_MANAGER, note: 'Tianyang station only' },
  {
    username: 'reader1',
    password: 'metergraph-demo',
    role: Role.METER_READER,
    note: 'Youjiang station, personal data masked',
  },
  {
    username: 'reader2',
    password: 'metergraph-demo',
    role: Role.METER_READER,
    note: "Youjiang station, reader1's partner on rounds",
  },
  { username: 'inspector1', password: 'metergraph-demo', role: Role.INSPECTOR, note: 'Youjiang station, field work' },
  {
    username: 'inspector2',
    password: 'metergraph-demo',
    role: Role.INSPECTOR,
    note: "Youjiang station, inspector1's partner (two-person rule)",
  },
  { username: 'auditor', password: 'metergraph-demo', role: Role.AUDITOR, note: 'reads everything, changes nothing' },
  {
    username: 'customer1',
    password: 'metergraph-demo',
    role: Role.CUSTOMER,
    note: 'logs in with account no. 060100000001 (customerLogin)',
  },
  {
    username: 'collector',
    password: 'metergraph-demo',
    role: Role.COLLECTOR_SERVICE,
    note: 'collection service account',
  },
];

export const DEMO_BUREAU_CODE = 'DEMO-BUREAU';

/** Small deterministic PRNG (mulberry32): the same demo every time. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES = [
  'Wang',
  'Li',
  'Zhang',
  'Liu',
  'Chen',
  'Yang',
  'Huang',
  'Zhao',
  'Wu',
  'Zhou',
  'Lu',
  'Wei',
  'Nong',
  'Huang',
  'Lan',
];
const GIVEN = [
  'Wei',
  'Fang',
  'Na',
  'Min',
  'Jing',
  'Li',
  'Qiang',
  'Lei',
  'Jun',
  'Yang',
  'Yong',
  'Yan',
  'Jie',
  'Tao',
  'Ming',
  'Chao',
];

/** GB 11643 check character of an 18-digit resident ID. */
function idCheckChar(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  return '10X98765432'[sum % 11]!;
}

async function createUnit(em: EntityManager, parent: OrgUnit, kind: OrgUnitKind, code: string, name: string) {
  const unit = em.create(OrgUnit, { kind, code, name, parent, path: '/' });
  await em.flush();
  unit.path = `${parent.path}${unit.id}/`;
  return unit;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export interface DemoOptions {
  /** Days of daily frozen readings to generate, ending today. */
  days?: number;
  now?: Date;
  /** Create the demo's collection schedules (default true). */
  schedules?: boolean;
}

/**
 * Seeds a realistic demo below the root company: one bureau, two supply stations, five transformer
 * areas, 300 customers with meters in boxes, supply meters, users of every role and three months of
 * daily frozen readings. Does nothing if the demo bureau already exists. Phone and ID numbers are
 * sealed with `personalData` like any other customer's.
 */
export async function seedDemo(
  em: EntityManager,
  root: OrgUnit,
  personalData: PersonalDataCipher,
  opts: DemoOptions = {},
): Promise<boolean> {
  if (await em.count(OrgUnit, { code: DEMO_BUREAU_CODE })) return false;
  // Three months: enough for last month's settlement whatever the billing day (cycles start up to 92 days back).
  const days = opts.days ?? 92;
  const now = opts.now ?? new Date();
  const rand = prng(20261126);

  await em.transactional(async (tx) => {
    const bureau = await createUnit(tx, root, OrgUnitKind.BUREAU, DEMO_BUREAU_CODE, 'Baise Power Supply Bureau');
    bureau.timeZone = 'Asia/Shanghai';
    const stations = [
      await createUnit(tx, bureau, OrgUnitKind.SUPPLY_STATION, 'ST-YJ', 'Youjiang Supply Station'),
      await createUnit(tx, bureau, OrgUnitKind.SUPPLY_STATION, 'ST-TY', 'Tianyang Supply Station'),
    ];
    const areaPlan = [
      { station: 0, code: 'TA-YJ-01', name: 'Youjiang No.1 Transformer' },
      { station: 0, code: 'TA-YJ-02', name: 'Youjiang No.2 Transformer' },
      { station: 0, code: 'TA-YJ-03', name: 'Chengbei Market Transformer' },
      { station: 1, code: 'TA-TY-01', name: 'Tianyang Town Transformer' },
      { station: 1, code: 'TA-TY-02', name: 'Napo Village Transformer' },
    ];
    const installedAt = new Date(now.getTime() - 400 * 86_400_000);
    let meterSeq = 0;
    let customerSeq = 0;
    /** Per area: its supply meter and its customers' simulated meters. */
    const areas: { supply: Meter; customers: { meter: Meter; profile: Profile; assignment: MeterAssignment }[] }[] = [];

    for (const [areaIndex, plan] of areaPlan.entries()) {
      const area = await createUnit(tx, stations[plan.station]!, OrgUnitKind.TRANSFORMER_AREA, plan.code, plan.name);
      const newMeter = (protocol: MeterProtocol, ct = '1') => {
        meterSeq++;
        return tx.create(Meter, {
          assetNo: `AS${pad(meterSeq, 8)}`,
          barcode: `3120${pad(meterSeq, 10)}`,
          commAddress: pad(100000000000 + meterSeq, 12),
          protocol,
          manufacturer: ['Linyang', 'Holley', 'Wasion', 'Sanxing'][meterSeq % 4]!,
          model: ct === '1' ? 'DDZY1' : 'DTZ341',
          ctRatio: ct,
          accuracyClass: ct === '1' ? '2.0' : '0.5S',
          status: MeterStatus.INSTALLED,
          installedAt,
          nextVerificationDate: new Date(now.getTime() + (30 + (meterSeq % 700)) * 86_400_000)
            .toISOString()
            .slice(0, 10),
          orgUnit: area,
        });
      };
      // The area's supply (total) meter: a CT-connected three-phase meter.
      const supply = newMeter(MeterProtocol.DLT645_2007, '40');
      area.supplyMeter = supply;
      const areaMeters: (typeof areas)[number] = { supply, customers: [] };
      areas.push(areaMeters);

      for (let b = 1; b <= 10; b++) {
        const lat = new Dec('23.9').plus(new Dec(areaIndex).times('0.01')).plus(new Dec(b).times('0.0007')).toFixed(6);
        const lon = new Dec('106.6').plus(new Dec(areaIndex).times('0.01')).plus(new Dec(b).times('0.0009')).toFixed(6);
        const box = tx.create(MeterBox, {
          barcode: `MB${plan.code.replace(/-/g, '')}${pad(b, 3)}`,
          address: `${plan.name} Road No.${b * 12}`,
          latitude: lat,
          longitude: lon,
          orgUnit: area,
        });
        for (let m = 1; m <= 6; m++) {
          customerSeq++;
          const category =
            customerSeq % 15 === 0
              ? CustomerCategory.COMMERCIAL
              : customerSeq % 29 === 0
                ? CustomerCategory.AGRICULTURAL
                : CustomerCategory.RESIDENTIAL;
          const id17 = `451002${1950 + Math.floor(rand() * 50)}${pad(1 + Math.floor(rand() * 12), 2)}${pad(1 + Math.floor(rand() * 28), 2)}${pad(Math.floor(rand() * 1000), 3)}`;
          const customer = tx.create(Customer, {
            accountNo: `0601${pad(customerSeq, 8)}`,
            name: `${SURNAMES[Math.floor(rand() * SURNAMES.length)]} ${GIVEN[Math.floor(rand() * GIVEN.length)]}`,
            category,
            ...sealCustomerPersonalData(personalData, {
              phone: `13${Math.floor(rand() * 10)}${pad(Math.floor(rand() * 100_000_000), 8)}`,
              idNumber: id17 + idCheckChar(id17),
            }),
            address: `${box.address}, Unit ${m}`,
            contractedCapacity: category === CustomerCategory.COMMERCIAL ? '20.00' : '8.00',
            orgUnit: stations[plan.station]!,
            billingDay: 1 + ((customerSeq * 7) % 28),
          });
          const meter = newMeter(MeterProtocol.SIMULATED);
          meter.meterBox = box;
          const point = tx.create(ServicePoint, { code: `SP${customer.accountNo}`, customer, meterBox: box });
          // The initial reading is set once the meter has its id (the simulator's seed).
          const assignment = tx.create(MeterAssignment, {
            meter,
            servicePoint: point,
            installedAt,
            initialReading: '0',
          });
          areaMeters.customers.push({ meter, profile: category.toLowerCase() as Profile, assignment });
        }
      }
      await tx.flush();
    }

    const customer1 = await tx.findOneOrFail(Customer, { accountNo: '060100000001' });
    const unitFor = (role: Role, i: number) =>
      role === Role.STATION_MANAGER
        ? stations[i === 2 ? 1 : 0]!
        : [Role.METER_READER, Role.INSPECTOR].includes(role)
          ? stations[0]!
          : role === Role.CUSTOMER
            ? stations[0]!
            : root;
    for (const [i, login] of DEMO_LOGINS.entries()) {
      if (await tx.count(User, { username: login.username })) continue;
      tx.create(User, {
        username: login.username,
        passwordHash: await hashPassword(login.password),
        displayName: login.username,
        role: login.role,
        orgUnit: unitFor(login.role, i),
        customer: login.role === Role.CUSTOMER ? customer1 : undefined,
      });
    }
    if (!(await tx.count(Tariff, {}))) seedDemoTariffs(tx);
    await tx.flush();

    // Daily frozen readings at 00:00 Asia/Shanghai (16:00 UTC the day before), with TOU bands.
    const midnight = new Date(now);
    midnight.setUTCHours(16, 0, 0, 0);
    if (midnight > now) midnight.setUTCDate(midnight.getUTCDate() - 1);
    const values: string[] = [];
    const flush = async () => {
      if (!values.length) return;
      await tx
        .getConnection()
        .execute(
          `insert into reading (meter_id, register, value, measured_at, received_at, source, quality) values ${values.join(',')} on conflict do nothing`,
          [],
          'run',
          tx.getTransactionContext(),
        );
      values.length = 0;
    };
    // The same load curves the live simulated meters follow, so live reads continue the history.
    // Supply meters see their customers' energy plus about 5 % line loss, through a CT of 40.
    for (const area of areas) {
      for (const c of area.customers) {
        c.assignment.initialReading = registerTexts(registersAt(c.meter.id, c.profile, installedAt)).total;
      }
    }
    await tx.flush();
    const REGISTERS = ['FORWARD_ACTIVE_T1', 'FORWARD_ACTIVE_T2', 'FORWARD_ACTIVE_T3', 'FORWARD_ACTIVE_T4'];
    const push = (meterId: number, at: string, texts: ReturnType<typeof registerTexts>) => {
      values.push(`(${meterId}, 'FORWARD_ACTIVE_TOTAL', ${texts.total}, '${at}', '${at}', 'AUTOMATIC', 'GOOD')`);
      texts.bands.forEach((v, i) =>
        values.push(`(${meterId}, '${REGISTERS[i]}', ${v}, '${at}', '${at}', 'AUTOMATIC', 'GOOD')`),
      );
    };
    for (let d = days; d >= 0; d--) {
      const instant = new Date(midnight.getTime() - d * 86_400_000);
      const at = instant.toISOString();
      for (const area of areas) {
        const supplied: [number, number, number, number] = [0, 0, 0, 0];
        for (const c of area.customers) {
          const r = registersAt(c.meter.id, c.profile, instant);
          push(c.meter.id, at, registerTexts(r));
          r.bands.forEach((v, i) => (supplied[i] += v));
        }
        const bands = supplied.map((v) => (v * 1.05) / 40) as [number, number, number, number];
        push(area.supply.id, at, registerTexts({ bands, total: bands.reduce((a, b) => a + b, 0) }));
        if (values.length >= 2000) await flush();
      }
    }
    await flush();

    if (opts.schedules !== false) {
      // Live reads every minute with the meters' events (faults and events show as alarms and
      // re-collection), and each day's frozen values read inside the customers' reading windows.
      tx.create(CollectionSchedule, {
        name: 'Live readings every minute',
        kind: ScheduleKind.INTERVAL,
        orgUnit: bureau,
        intervalMinutes: 1,
        maxAttempts: 3,
        readEvents: true,
      });
      tx.create(CollectionSchedule, {
        name: 'Daily frozen readings',
        kind: ScheduleKind.DAILY_FROZEN,
        orgUnit: bureau,
        maxAttempts: 4,
        readEvents: true,
      });
      await tx.flush();
    }
  });
  return true;
}
