/**
 * Modbus collectors: `modbus-tcp` (Modbus TCP, meters or TCP-to-RS485 gateways) and `modbus-rtu`
 * (Modbus RTU on a local serial line, e.g. an RS485 adapter at /dev/ttyUSB0). Both share the
 * session below; they differ in how the device is reached: a TCP session has a connection of its
 * own, an RTU session drives its client over the serial line the host lends it (SDK 1.3
 * `ctx.serialLine`, ./rtu-port.ts): one open port per line, shared with every meter on it,
 * whatever protocol it speaks (docs/adr/0019-serial-lines-owned-by-the-host.md).
 *
 * A point is one entry of the meter's register map (table, address, type, word order, scale);
 * {@link REGISTER_MAPS} has typical maps to start from. Contiguous points of one table are read
 * with one request. Exception replies and timeouts are bad values with a reason; a lost connection
 * rejects the read.
 */
import ModbusSerial from 'modbus-serial';
import {
  badValue,
  CollectorError,
  defineCollector,
  withSignal,
  z,
  type CollectorSession,
  type PointRequest,
  type PointValue,
  type RegisterCode,
  type SessionContext,
} from '../../sdk/index.js';
import { decodeRegisters, isDecimalString, REGISTER_COUNT, REGISTER_TYPES } from './decode.js';
import { RtuLinePort } from './rtu-port.js';

/** What a session hears from its connection or line. */
interface LineEvents {
  /** The connection or port went away: calls in flight must fail now. */
  lost(reason: string): void;
  /** An error the client reported; the connection carries on (a lost one also ends in `lost`). */
  error(error: unknown): void;
}

// modbus-serial is CommonJS; its module object carries the client class both as itself and as `default`.
const ModbusRTU = ModbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

const addressing = {
  /** Modbus unit (slave) id of the meter; behind a gateway, the meter's RS485 address. */
  unitId: z.number().int().min(1).max(247),
  /** How long to wait for each reply. */
  responseTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
};

export const tcpDeviceSchema = z.object({
  transport: z.literal('tcp').default('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  ...addressing,
});

export const rtuDeviceSchema = z.object({
  transport: z.literal('rtu').default('rtu'),
  /** Serial device, e.g. /dev/ttyUSB0. */
  path: z.string().min(1),
  baudRate: z.number().int().min(300).max(921_600).default(9600),
  /** 8E1 is the usual framing of Chinese meters. */
  parity: z.enum(['none', 'even', 'odd']).default('even'),
  /** Modbus RTU always uses 8 data bits. */
  dataBits: z.literal(8).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  ...addressing,
});

/** Either kind of device, told apart by `transport` (required here; each collector's own schema defaults it). */
export const deviceSchema = z.discriminatedUnion('transport', [tcpDeviceSchema, rtuDeviceSchema]);
export type ModbusTcpDevice = z.infer<typeof tcpDeviceSchema>;
export type ModbusRtuDevice = z.infer<typeof rtuDeviceSchema>;
export type ModbusDevice = ModbusTcpDevice | ModbusRtuDevice;

export const pointSchema = z
  .object({
    /** Holding registers (function 03) or input registers (function 04). */
    table: z.enum(['holding', 'input']).default('holding'),
    /** Protocol address of the first register, 0-65535 (register "40001" of a manual is address 0). */
    address: z.number().int().min(0).max(65535),
    type: z.enum(REGISTER_TYPES),
    /** For 32-bit types: 'big' = high word first; 'little' = low word first (word-swapped). */
    wordOrder: z.enum(['big', 'little']).default('big'),
    /** Decimal multiplier applied exactly to the raw value, e.g. "0.01". */
    scale: z
      .string()
      .refine(isDecimalString, 'must be a decimal string such as "0.01"')
      .refine((s) => !/^-?0+(\.0+)?$/.test(s), 'must not be zero')
      .default('1'),
    /** Decimals of the value after scaling. */
    decimals: z.number().int().min(0).max(6).default(2),
    /** Unit of the scaled value, e.g. "kWh", "V". */
    unit: z.string().max(16).optional(),
  })
  .refine((p) => p.address + REGISTER_COUNT[p.type] <= 65536, {
    message: 'the value runs past register 65535',
    path: ['address'],
  });
export type ModbusPoint = z.infer<typeof pointSchema>;
export type ModbusPointInput = z.input<typeof pointSchema>;

/** One quantity of a register map. */
export interface RegisterMapPoint {
  /** Stable name, used as the point id by {@link registerMapPoints}. */
  name: string;
  description: string;
  /** The register Metergraph stores the value as; instantaneous quantities have none. */
  register?: RegisterCode;
  settings: ModbusPointInput;
}

/** The registers of one kind of meter. */
export interface RegisterMap {
  id: string;
  description: string;
  /** Where the layout comes from. */
  source: string;
  points: readonly RegisterMapPoint[];
}

const TYPICAL = 'typical layout; addresses and encodings differ between vendors and firmware: check the meter manual';

/**
 * Register maps to build points from. These are typical layouts of the two common kinds of DIN-rail
 * energy meter, not any vendor's published table: compare them with the manual of the meter at hand.
 */
export const REGISTER_MAPS = {
  'single-phase-float32': {
    id: 'single-phase-float32',
    description: 'Single-phase meter (DDSU666-type) reporting IEEE 754 float32 values in holding registers',
    source: TYPICAL,
    points: [
      {
        name: 'voltage',
        description: 'voltage',
        settings: { table: 'holding', address: 0x2000, type: 'float32', decimals: 1, unit: 'V' },
      },
      {
        name: 'current',
        description: 'current',
        settings: { table: 'holding', address: 0x2002, type: 'float32', decimals: 3, unit: 'A' },
      },
      {
        name: 'activePower',
        description: 'active power',
        settings: { table: 'holding', address: 0x2004, type: 'float32', decimals: 3, unit: 'kW' },
      },
      {
        name: 'forwardActiveTotal',
        description: 'total forward (import) active energy',
        register: 'FORWARD_ACTIVE_TOTAL',
        settings: { table: 'holding', address: 0x4000, type: 'float32', decimals: 2, unit: 'kWh' },
      },
    ],
  },
  'three-phase-scaled': {
    id: 'three-phase-scaled',
    description:
      'Three-phase meter (DTSU666-type) reporting scaled integers: instantaneous values in input registers, energy in holding registers',
    source: TYPICAL,
    points: [
      ...(['A', 'B', 'C'] as const).map((phase, i) => ({
        name: `voltage${phase}`,
        description: `phase ${phase} voltage`,
        settings: { table: 'input', address: i, type: 'uint16', scale: '0.1', decimals: 1, unit: 'V' } as const,
      })),
      ...(['A', 'B', 'C'] as const).map((phase, i) => ({
        name: `current${phase}`,
        description: `phase ${phase} current`,
        settings: { table: 'input', address: 3 + i, type: 'uint16', scale: '0.01', decimals: 2, unit: 'A' } as const,
      })),
      {
        name: 'activePower',
        description: 'total active power, negative when exporting',
        settings: { table: 'input', address: 0x0006, type: 'int32', scale: '0.001', decimals: 3, unit: 'kW' },
      },
      {
        name: 'forwardActiveTotal',
        description: 'total forward (import) active energy',
        register: 'FORWARD_ACTIVE_TOTAL',
        settings: { table: 'holding', address: 0x0100, type: 'uint32', scale: '0.01', decimals: 2, unit: 'kWh' },
      },
      {
        name: 'reverseActiveTotal',
        description: 'total reverse (export) active energy',
        register: 'REVERSE_ACTIVE_TOTAL',
        settings: { table: 'holding', address: 0x0102, type: 'uint32', scale: '0.01', decimals: 2, unit: 'kWh' },
      },
    ],
  },
} as const satisfies Record<string, RegisterMap>;

/** Point requests for every quantity of a register map, with ids `${idPrefix}${name}`. */
export function registerMapPoints(map: RegisterMap, idPrefix = ''): PointRequest<ModbusPoint>[] {
  return map.points.map((p) => ({
    id: `${idPrefix}${p.name}`,
    ...(p.register ? { register: p.register } : {}),
    settings: pointSchema.parse(p.settings),
  }));
}

const EXCEPTIONS: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};
const ILLEGAL_DATA_ADDRESS = 2;

/** "exception 2: illegal data address" */
export function describeException(code: number): string {
  return `exception ${code}: ${EXCEPTIONS[code] ?? 'unknown exception code'}`;
}

/** Registers per read request allowed by the protocol. */
const MAX_REGISTERS = 125;

type Table = ModbusPoint['table'];

/** One read request and the points (by index into the read's list) it serves. */
interface Block {
  table: Table;
  start: number;
  count: number;
  members: number[];
}

/** Groups points of one table whose registers touch or overlap into as few requests as the protocol allows. */
export function planRequests(points: readonly { settings: ModbusPoint }[]): Block[] {
  const order = points
    .map((p, index) => ({
      index,
      table: p.settings.table,
      address: p.settings.address,
      size: REGISTER_COUNT[p.settings.type],
    }))
    .sort((a, b) => a.table.localeCompare(b.table) || a.address - b.address);
  const blocks: Block[] = [];
  for (const p of order) {
    const last = blocks.at(-1);
    const end = p.address + p.size;
    if (last && last.table === p.table && p.address <= last.start + last.count && end - last.start <= MAX_REGISTERS) {
      last.count = Math.max(last.count, end - last.start);
      last.members.push(p.index);
    } else {
      blocks.push({ table: p.table, start: p.address, count: p.size, members: [p.index] });
    }
  }
  return blocks;
}

class ConnectionLost extends Error {}

/** A reply: the registers, or why there are none (`code` for an exception reply). */
type Reply = { words: number[] } | { reason: string; code?: number };

/** A session's way to its device: a TCP connection of its own, or its share of a serial line. */
interface Link {
  readonly client: ModbusClient;
  /** Gives the connection up. Never throws. */
  release(): Promise<void>;
}

/** Opens a Modbus TCP connection for one session. */
async function connectTcp(device: ModbusTcpDevice, events: LineEvents, signal: AbortSignal): Promise<Link> {
  const where = `${device.host}:${device.port}`;
  const client = new ModbusRTU();
  // Before connecting: it also bounds the connection attempt.
  client.setTimeout(device.responseTimeoutMs);
  client.on('error', (error: unknown) => events.error(error));
  client.on('close', () => events.lost(`connection to ${where} closed`));
  const release = async () => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      // destroy() drops the socket at once, without waiting for the peer.
      client.destroy(() => {
        clearTimeout(timer);
        resolve();
      });
    }).catch(() => undefined);
  };
  try {
    await withSignal(client.connectTCP(device.host, { port: device.port }), signal);
  } catch (error) {
    await release();
    if (signal.aborted) throw error;
    throw new Error(`cannot reach ${where}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return { client, release };
}

/**
 * Opens the meter's serial line through the host and a modbus-serial client of the session's own
 * over it. The host lets the line carry only this session's request while its call runs.
 */
async function connectRtu(
  device: ModbusRtuDevice,
  ctx: SessionContext,
  events: LineEvents,
  signal: AbortSignal,
): Promise<Link> {
  if (!ctx.serialLine) throw new CollectorError('unsupported', 'this host offers no serial lines (SDK 1.3)');
  const port = new RtuLinePort();
  const line = await ctx.serialLine(
    lineOf(device),
    {
      data: (bytes) => port.receive(bytes),
      lost: (reason) => {
        port.lost();
        events.lost(reason);
      },
    },
    signal,
  );
  port.attach(line);
  const client = new ModbusRTU(port);
  client.on('error', (error: unknown) => events.error(error));
  // The port is ready at once (the line is open): this only hooks the client to it.
  await new Promise<void>((resolve, reject) =>
    client.open((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return { client, release: () => line.close() };
}

const lineOf = ({ path, baudRate, parity, dataBits, stopBits }: ModbusRtuDevice) => ({
  path,
  baudRate,
  parity,
  dataBits,
  stopBits,
});

/** One Modbus device (a meter, or a gateway reached at one unit id). Requests are strictly one at a time. */
class ModbusSession implements CollectorSession<ModbusPoint> {
  private link?: Link;
  /** What the current connection reports to; events of an earlier connection are ignored. */
  private events?: LineEvents;
  private lost?: ConnectionLost;
  private readonly lostListeners = new Set<(error: ConnectionLost) => void>();

  constructor(
    private readonly device: ModbusDevice,
    private readonly ctx: SessionContext,
  ) {}

  private where(): string {
    return this.device.transport === 'tcp' ? `${this.device.host}:${this.device.port}` : this.device.path;
  }

  async connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    // A second connect without close: give the first connection up instead of holding the line.
    await this.close();
    this.lost = undefined;
    const events: LineEvents = {
      lost: (reason) => {
        if (this.events === events) this.markLost(new ConnectionLost(reason));
      },
      error: (error) => this.ctx.logger.warn('modbus port error', { where: this.where(), error: String(error) }),
    };
    this.events = events;
    const d = this.device;
    try {
      this.link = await (d.transport === 'tcp'
        ? connectTcp(d, events, signal)
        : connectRtu(d, this.ctx, events, signal));
    } catch (error) {
      this.markLost(new ConnectionLost('connect failed'));
      throw error;
    }
  }

  private markLost(error: ConnectionLost) {
    this.lost ??= error;
    for (const listener of [...this.lostListeners]) listener(error);
  }

  /** The call's outcome, or a rejection as soon as the connection is lost. */
  private unlessLost<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onLost = (error: ConnectionLost) => reject(error);
      this.lostListeners.add(onLost);
      call.then(resolve, reject).finally(() => this.lostListeners.delete(onLost));
    });
  }

  /** Reads `count` registers; exception replies, timeouts and malformed replies are reasons, a lost connection throws. */
  private async request(table: Table, start: number, count: number, signal: AbortSignal): Promise<Reply> {
    const client = this.link?.client;
    if (!client || this.lost || !client.isOpen) throw this.lost ?? new ConnectionLost('not connected');
    client.setID(this.device.unitId);
    client.setTimeout(this.device.responseTimeoutMs);
    const call =
      table === 'holding' ? client.readHoldingRegisters(start, count) : client.readInputRegisters(start, count);
    try {
      const reply = await withSignal(this.unlessLost(call), signal);
      return { words: reply.data };
    } catch (error) {
      if (error instanceof ConnectionLost || signal.aborted) throw error;
      const failure = error as { modbusCode?: unknown; errno?: unknown; message?: unknown };
      if (typeof failure.modbusCode === 'number')
        return { reason: describeException(failure.modbusCode), code: failure.modbusCode };
      // A reset connection shows up as a request that is never answered.
      if (!client.isOpen) throw new ConnectionLost(`connection to ${this.where()} lost`);
      if (failure.errno === 'ETIMEDOUT') return { reason: `no reply within ${this.device.responseTimeoutMs} ms` };
      return { reason: `malformed reply: ${String(failure.message ?? error)}` };
    }
  }

  async read(points: PointRequest<ModbusPoint>[], signal: AbortSignal): Promise<PointValue[]> {
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    const values: PointValue[] = new Array(points.length);
    const settle = (index: number, reply: Reply, start: number) => {
      const point = points[index]!;
      const now = this.ctx.now();
      if ('reason' in reply) {
        values[index] = badValue(point.id, reply.reason, now);
        return;
      }
      const offset = point.settings.address - start;
      const decoded = decodeRegisters(
        reply.words.slice(offset, offset + REGISTER_COUNT[point.settings.type]),
        point.settings,
      );
      values[index] = decoded.ok
        ? { pointId: point.id, value: decoded.value, unit: point.settings.unit, quality: 'good', measuredAt: now }
        : badValue(point.id, decoded.reason, now);
    };
    for (const block of planRequests(points)) {
      const reply = await this.request(block.table, block.start, block.count, signal);
      if ('code' in reply && reply.code === ILLEGAL_DATA_ADDRESS && block.members.length > 1) {
        // The block spans a register the meter does not serve: ask point by point, so that one
        // wrong address does not spoil its neighbours.
        for (const index of block.members) {
          const { address, type } = points[index]!.settings;
          settle(index, await this.request(block.table, address, REGISTER_COUNT[type], signal), address);
        }
        continue;
      }
      for (const index of block.members) settle(index, reply, block.start);
    }
    return values;
  }

  /** Anybody there? Any reply to a one-register read counts, an exception reply too. */
  async probe(signal: AbortSignal): Promise<boolean> {
    try {
      const reply = await this.request('holding', 0, 1, signal);
      return !('reason' in reply) || reply.code !== undefined;
    } catch (error) {
      if (signal.aborted) throw error;
      return false;
    }
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.events = undefined;
    if (!link) return;
    this.markLost(new ConnectionLost('session closed'));
    await link.release();
  }
}

/** Modbus TCP: meters with an Ethernet port, or RS485 meters behind a Modbus TCP gateway. */
export const modbusTcp = defineCollector({
  describe: () => ({
    id: 'modbus-tcp',
    displayName: { en: 'Modbus TCP', zh: 'Modbus TCP' },
    mode: 'poll',
    transport: 'tcp',
  }),
  deviceSchema: tcpDeviceSchema,
  pointSchema,
  // All unit ids behind one gateway share its socket and RS485 line: one request at a time.
  resourceKey: (device) => `tcp:${device.settings.host}:${device.settings.port}`,
  createSession: (device, ctx) => new ModbusSession(device.settings, ctx),
});

/** Modbus RTU on a local serial line (an RS485 adapter); the meters on one line are told apart by unit id. */
export const modbusRtu = defineCollector({
  describe: () => ({
    id: 'modbus-rtu',
    displayName: { en: 'Modbus RTU (serial)', zh: 'Modbus RTU (串口)' },
    mode: 'poll',
    transport: 'serial',
  }),
  deviceSchema: rtuDeviceSchema,
  pointSchema,
  // One serial line carries one request at a time, whichever meter (and protocol) it is for.
  serialLine: (device) => lineOf(device.settings),
  createSession: (device, ctx) => new ModbusSession(device.settings, ctx),
});

export default modbusTcp;
