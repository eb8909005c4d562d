import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import {
  BROADCAST_ADDRESS,
  Control,
  decimalToBcd,
  decodeDi,
  decodeFrame,
  decodeRelayRequest,
  encodeAddress,
  encodeDateTime,
  encodeDi,
  encodeFrame,
  ERROR_BIT,
  fromBcdByte,
  RelayOperation,
  REPLY_BIT,
  toBcdByte,
  WILDCARD_ADDRESS,
  type Frame,
} from './codec.js';
import {
  DI_DATE,
  DI_LAST_DAILY_FREEZE_TIME,
  DI_TIME,
  EVENT_COUNT_LENGTH,
  EVENT_RECORD_KINDS,
  EVENT_RECORDS_KEPT,
  dataItem,
  type EventRecordKind,
} from './data-identifiers.js';

/** An event a simulated meter recorded: when it began and, once it is over, when it ended. */
export interface SimulatedEvent {
  start: Date;
  /** Absent while the event goes on: the record's end time is then all zeros. */
  end?: Date;
}

/** The event records a simulated meter can keep: cover open, terminal cover open, power down. */
export type SimulatedEventKind = 'cover' | 'terminal' | 'powerDown';

const EVENT_KINDS: Record<SimulatedEventKind, EventRecordKind> = {
  cover: EVENT_RECORD_KINDS.find((k) => k.type === 'METER_COVER_OPEN')!,
  terminal: EVENT_RECORD_KINDS.find((k) => k.type === 'TERMINAL_COVER_OPEN')!,
  powerDown: EVENT_RECORD_KINDS.find((k) => k.type === 'POWER_OFF')!,
};

/** One simulated meter: its address, register values by DI and a clock offset. */
export interface SimulatedMeter {
  address: string;
  /** Decimal strings by data identifier; a block DI (daily freeze) takes its values joined by ','. */
  values: Map<number, string>;
  /** Meter clock minus real time, in ms (a drifting clock). */
  clockOffsetMs: number;
  /** Local time of the last daily freeze. */
  lastFreeze: Date;
  /**
   * Event records by kind, oldest first (a new event goes at the end, see {@link recordEvent}).
   * The count a meter answers is the length of the list; the last 10 are its records 01..0A,
   * 01 the newest. A kind that is absent is one the meter does not support: its count and records
   * get the error reply "no requested data".
   */
  events: Partial<Record<SimulatedEventKind, SimulatedEvent[]>>;
  /** The load switch, when the meter has one (relay control answered "other error" otherwise). */
  relay?: SimulatedRelay;
}

/** A simulated meter's load switch and what it takes to command it. */
export interface SimulatedRelay {
  /** PA and P2P1P0 that the meter accepts (hex digits as written, e.g. "123456"). */
  passwordLevel: number;
  password: string;
  /** `open` after a trip; `permitted` after permit close (the customer has not pressed the button). */
  state: 'closed' | 'open' | 'permitted';
  /** Keep power (保电) is on: trips are refused. */
  keepPower: boolean;
  /** Accepted commands with the operator code, for assertions. */
  log: { operation: number; operatorCode: string }[];
}

/** A load switch, closed, that takes level 2 password `password`. */
export function simulatedRelay(password = '123456', passwordLevel = 2): SimulatedRelay {
  return { password, passwordLevel, state: 'closed', keepPower: false, log: [] };
}

/** Faults to inject, for tests of the collector's error handling. */
export interface SimulatorFaults {
  /** Do not answer at all (a dead meter or a broken line). */
  silent?: boolean;
  /** Flip the checksum of every reply. */
  corruptChecksum?: boolean;
  /** Send a few garbage bytes (with a stray 0x68 among them) before each reply. */
  garbageBeforeReply?: boolean;
  /** Send the request back before the reply, as a two-wire RS-485 adapter that hears itself does. */
  echoRequest?: boolean;
  /** Before each reply, a reply with another value from a meter that was not asked. */
  foreignReplyFirst?: boolean;
  /** Before each reply, a reply from the same meter to another data identifier (a late answer). */
  staleReplyFirst?: boolean;
  /** Send replies one byte at a time, 2 ms apart, so that they arrive in pieces. */
  byteByByte?: boolean;
  /** Answer this many ms late. */
  delayMs?: number;
}

/** The meters' side of the protocol, ready to answer on any duplex byte stream. */
export interface Dlt645Responder {
  meters: Map<string, SimulatedMeter>;
  faults: SimulatorFaults;
  /** Frames received, for assertions. */
  received: Frame[];
  /** Answers the frames arriving on `stream` (a socket, a serial port) until it closes. */
  serve(stream: Duplex): void;
}

/** The simulated meters behind a TCP port (a transparent gateway). */
export interface Dlt645Simulator extends Dlt645Responder {
  port: number;
  close(): Promise<void>;
}

/** The simulated meters at one end of a serial line. */
export interface Dlt645SerialSimulator extends Dlt645Responder {
  path: string;
  close(): Promise<void>;
}

/** Local wall-clock parts in a fixed UTC offset (meters keep local time without zones). */
function localParts(date: Date, utcOffsetMinutes: number) {
  const d = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

export function simulatedMeter(address: string, energyKwh = '1234.56'): SimulatedMeter {
  const total = energyKwh;
  const values = new Map<number, string>([
    [0x00010000, total],
    [0x00010100, '0.00'],
    [0x00010200, '0.00'],
    [0x00010300, total],
    [0x00010400, '0.00'],
    [0x00020000, '0.00'],
    [0x02010100, '220.1'],
    [0x02020100, '1.250'],
    [0x02030000, '0.2750'],
    [0x02060000, '0.998'],
    [0x05060101, [total, '0.00', '0.00', total, '0.00'].join(',')],
  ]);
  const freeze = new Date();
  freeze.setUTCHours(16, 0, 0, 0); // 00:00 at UTC+8
  if (freeze > new Date()) freeze.setUTCDate(freeze.getUTCDate() - 1);
  return {
    address,
    values,
    clockOffsetMs: 0,
    lastFreeze: freeze,
    events: { cover: [], terminal: [], powerDown: [] },
  };
}

/**
 * Records an event on a simulated meter (newest last), supporting its kind if it was not.
 * Returns the event, whose `end` can be set later (power restored, cover closed).
 */
export function recordEvent(meter: SimulatedMeter, kind: SimulatedEventKind, start: Date, end?: Date): SimulatedEvent {
  const event: SimulatedEvent = end ? { start, end } : { start };
  (meter.events[kind] ??= []).push(event);
  return event;
}

/**
 * Meters that answer like DL/T 645-2007 meters sharing one line: each answering only frames
 * addressed to it (or to the wildcard when it is the only meter), silent on broadcasts and on
 * replies (another meter's traffic), error replies for unknown data identifiers.
 */
export function createDlt645Responder(
  meters: SimulatedMeter[],
  options: { utcOffsetMinutes?: number } = {},
): Dlt645Responder {
  const offset = options.utcOffsetMinutes ?? 480;
  const responder: Dlt645Responder = {
    meters: new Map(meters.map((m) => [m.address, m])),
    faults: {},
    received: [],
    serve: (stream) => serve(stream),
  };

  /** The count (DI ..00) or the N-th last record (DI ..NN) of an event kind the meter supports. */
  const eventPayload = (meter: SimulatedMeter, di: number): Buffer | undefined => {
    for (const [name, kind] of Object.entries(EVENT_KINDS) as [SimulatedEventKind, EventRecordKind][]) {
      const n = di - kind.countDi;
      if (n < 0 || n > EVENT_RECORDS_KEPT) continue;
      const list = meter.events[name];
      if (!list) return undefined;
      if (n === 0) return decimalToBcd(String(list.length), EVENT_COUNT_LENGTH, 0);
      const event = list[list.length - n];
      if (!event) return undefined;
      const time = (at: Date | undefined) => (at ? encodeDateTime(localParts(at, offset)) : Buffer.alloc(6));
      // The energies after the times are left at zero.
      const record = Buffer.alloc(kind.recordLength);
      Buffer.concat([time(event.start), time(event.end)]).copy(record);
      return record;
    }
    return undefined;
  };

  const payload = (meter: SimulatedMeter, di: number): Buffer | undefined => {
    if (di >>> 24 === 0x03) return eventPayload(meter, di);
    const clock = new Date(Date.now() + meter.clockOffsetMs);
    const local = localParts(clock, offset);
    if (di === DI_DATE) return Buffer.from([local.weekday, local.day, local.month, local.year % 100].map(toBcdByte));
    if (di === DI_TIME) return Buffer.from([local.second, local.minute, local.hour].map(toBcdByte));
    if (di === DI_LAST_DAILY_FREEZE_TIME) {
      const f = localParts(meter.lastFreeze, offset);
      return Buffer.from([f.minute, f.hour, f.day, f.month, f.year % 100].map(toBcdByte));
    }
    const item = dataItem(di);
    const value = meter.values.get(di);
    if (!item || value === undefined) return undefined;
    return Buffer.concat(value.split(',').map((v) => decimalToBcd(v, item.length, item.decimals, item.signed)));
  };

  const answer = (frame: Frame): Frame | undefined => {
    if (frame.control & REPLY_BIT) return undefined; // another meter's reply, not a request
    responder.received.push(frame);
    if (frame.address === BROADCAST_ADDRESS) {
      if (frame.control === Control.BROADCAST_TIME && frame.data.length === 6) {
        const [ss, mm, hh, dd, mo, yy] = [...frame.data].map((b) => fromBcdByte(b) ?? 0);
        const set = Date.UTC(2000 + yy!, mo! - 1, dd!, hh!, mm!, ss!) - offset * 60_000;
        for (const meter of responder.meters.values()) meter.clockOffsetMs = set - Date.now();
      }
      return undefined; // broadcasts are never answered
    }
    const meter =
      frame.address === WILDCARD_ADDRESS
        ? responder.meters.size === 1
          ? [...responder.meters.values()][0]
          : undefined
        : responder.meters.get(frame.address);
    if (!meter) return undefined; // not addressed to anyone here
    if (frame.control === Control.READ_ADDRESS) {
      return { address: meter.address, control: Control.READ_ADDRESS | REPLY_BIT, data: encodeAddress(meter.address) };
    }
    if (frame.control === Control.RELAY) return relayReply(meter, frame);
    if (frame.control === Control.READ_DATA && frame.data.length >= 4) {
      const di = decodeDi(frame.data.subarray(0, 4));
      const data = payload(meter, di);
      if (!data)
        return {
          address: meter.address,
          control: Control.READ_DATA | REPLY_BIT | ERROR_BIT,
          data: Buffer.from([0x02]),
        };
      return {
        address: meter.address,
        control: Control.READ_DATA | REPLY_BIT,
        data: Buffer.concat([encodeDi(di), data]),
      };
    }
    return { address: meter.address, control: frame.control | REPLY_BIT | ERROR_BIT, data: Buffer.from([0x01]) };
  };

  /**
   * Relay control: error 04 (password error or unauthorised) for a wrong password or level, 01
   * (other error) for a meter without a switch, a malformed or expired command, or a trip under
   * keep power; otherwise the normal reply 9C without data.
   */
  const relayReply = (meter: SimulatedMeter, frame: Frame): Frame => {
    const refuse = (status: number): Frame => ({
      address: meter.address,
      control: Control.RELAY | REPLY_BIT | ERROR_BIT,
      data: Buffer.from([status]),
    });
    const request = decodeRelayRequest(frame.data);
    const relay = meter.relay;
    if (!relay || !request) return refuse(0x01);
    if (request.passwordLevel !== relay.passwordLevel || request.password !== relay.password.toUpperCase())
      return refuse(0x04);
    const until = request.validUntil;
    const deadline = Date.UTC(until.year, until.month - 1, until.day, until.hour, until.minute, until.second);
    const clock = Date.now() + meter.clockOffsetMs + offset * 60_000;
    if (deadline < clock) return refuse(0x01);
    switch (request.operation) {
      case RelayOperation.TRIP:
        if (relay.keepPower) return refuse(0x01);
        relay.state = 'open';
        break;
      case RelayOperation.PERMIT_CLOSE:
        if (relay.state === 'open') relay.state = 'permitted';
        break;
      case RelayOperation.KEEP_POWER:
        relay.keepPower = true;
        break;
      case RelayOperation.KEEP_POWER_RELEASE:
        relay.keepPower = false;
        break;
      case RelayOperation.ALARM:
      case RelayOperation.ALARM_RELEASE:
        break;
      default:
        return refuse(0x01);
    }
    relay.log.push({ operation: request.operation, operatorCode: request.operatorCode });
    return { address: meter.address, control: Control.RELAY | REPLY_BIT, data: Buffer.alloc(0) };
  };

  /** The bytes put on the line for one request, faults included. */
  const replyBytes = (request: Frame, reply: Frame): Buffer => {
    const faults = responder.faults;
    const parts: Buffer[] = [];
    if (faults.echoRequest) parts.push(encodeFrame(request));
    if (faults.foreignReplyFirst) {
      // Same shape, another address, a different value: taken for ours it would be a wrong reading.
      const data = Buffer.from(reply.data);
      data.fill(0x99, reply.control & ERROR_BIT ? 0 : 4);
      parts.push(encodeFrame({ ...reply, address: FOREIGN_ADDRESS, data }, { preamble: 2 }));
    }
    if (faults.staleReplyFirst && reply.control === (Control.READ_DATA | REPLY_BIT)) {
      const di = decodeDi(reply.data.subarray(0, 4)) === DI_TIME ? DI_DATE : DI_TIME;
      const stale = Buffer.concat([encodeDi(di), Buffer.alloc(reply.data.length - 4, 0x99)]);
      parts.push(encodeFrame({ ...reply, data: stale }, { preamble: 2 }));
    }
    if (faults.garbageBeforeReply) parts.push(GARBAGE);
    const bytes = encodeFrame(reply, { preamble: 2 });
    if (faults.corruptChecksum) bytes[bytes.length - 2] ^= 0xff;
    parts.push(bytes);
    return Buffer.concat(parts);
  };

  const serve = (stream: Duplex) => {
    let pending = Buffer.alloc(0);
    const send = (bytes: Buffer) => {
      if (stream.destroyed) return;
      if (!responder.faults.byteByByte) {
        stream.write(bytes);
        return;
      }
      bytes.forEach((byte, i) => setTimeout(() => !stream.destroyed && stream.write(Buffer.from([byte])), i * 2));
    };
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const result = decodeFrame(pending);
        if (result.kind === 'incomplete') break;
        pending = pending.subarray(result.consumed);
        if (result.kind === 'error') continue; // a real meter ignores what it cannot parse
        const reply = responder.faults.silent ? undefined : answer(result.frame);
        if (!reply) continue;
        const bytes = replyBytes(result.frame, reply);
        if (responder.faults.delayMs) setTimeout(() => send(bytes), responder.faults.delayMs);
        else send(bytes);
      }
    });
  };
  return responder;
}

/** Address of a meter that is not simulated, for traffic the collector must ignore. */
const FOREIGN_ADDRESS = '999999999998';
/** Line noise, with a 0x68 in it that is not the start of a frame. */
const GARBAGE = Buffer.from([0x00, 0x68, 0x42, 0x99]);

/**
 * A TCP peer that answers like DL/T 645-2007 meters behind a transparent gateway: several meters
 * on one connection (see {@link createDlt645Responder}).
 */
export async function startDlt645Simulator(
  meters: SimulatedMeter[],
  options: { port?: number; host?: string; utcOffsetMinutes?: number } = {},
): Promise<Dlt645Simulator> {
  const responder = createDlt645Responder(meters, options);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    responder.serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  return Object.assign(responder, {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}

/**
 * Meters at one end of a serial line, e.g. a pseudo-terminal whose other end the collector opens
 * (`socat pty,raw,echo=0,link=/tmp/meters pty,raw,echo=0,link=/tmp/master`).
 */
export async function startDlt645SerialSimulator(
  meters: SimulatedMeter[],
  options: { path: string; baudRate?: number; parity?: 'none' | 'even' | 'odd'; utcOffsetMinutes?: number },
): Promise<Dlt645SerialSimulator> {
  const responder = createDlt645Responder(meters, options);
  const port = new SerialPort({
    path: options.path,
    baudRate: options.baudRate ?? 2400,
    parity: options.parity ?? 'even',
    dataBits: 8,
    stopBits: 1,
    autoOpen: false,
  });
  port.on('error', () => {});
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  responder.serve(port);
  return Object.assign(responder, {
    path: options.path,
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  });
}
