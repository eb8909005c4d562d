/**
 * The far end of one RS-485 line with a Modbus RTU meter and a DL/T 645 meter on it, for tests.
 *
 * A pseudo-terminal hands each byte to one reader only, so two simulators cannot both listen at
 * the far end of one line. This router does: it reads every request the collector side sends,
 * tells the protocol by the frame's shape (DL/T 645: FE wake-up bytes or 68, then a frame whose
 * length field says where it ends; Modbus RTU: anything else, its length from the function code)
 * and passes the whole frame to that protocol's simulator on a line of its own; the simulators'
 * replies go back onto the shared line as they come. No timing is involved in telling frames apart.
 * Modbus unit ids 104 (0x68) and 254 (0xFE) would be taken for DL/T 645: the tests use others.
 */
import { SerialPort } from 'serialport';

export type Protocol = 'modbus' | 'dlt645';

export interface ProtocolRouter {
  /** The requests passed on, in the order they came, with their protocol. */
  readonly routed: { protocol: Protocol; bytes: Buffer }[];
  stop(): Promise<void>;
}

async function open(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  port.on('error', () => {});
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

/** How long the request at the start of `bytes` is, or undefined until enough of it arrived. */
export function requestLength(bytes: Buffer): { protocol: Protocol; length: number } | undefined {
  if (!bytes.length) return undefined;
  if (bytes[0] === 0xfe || bytes[0] === 0x68) {
    let start = 0;
    while (start < bytes.length && bytes[start] === 0xfe) start++;
    // 68 A0..A5 68 C L DATA CS 16
    if (bytes.length < start + 10) return undefined;
    return { protocol: 'dlt645', length: start + 12 + bytes[start + 9]! };
  }
  if (bytes.length < 2) return undefined;
  const fn = bytes[1]!;
  if (fn >= 1 && fn <= 6) return { protocol: 'modbus', length: 8 };
  if (fn === 15 || fn === 16) return bytes.length < 7 ? undefined : { protocol: 'modbus', length: 9 + bytes[6]! };
  // A function this router does not know: passed on as it is.
  return { protocol: 'modbus', length: bytes.length };
}

/**
 * Serves `line` (the far end of the collector's line) with the Modbus simulator reached at
 * `modbus` and the DL/T 645 simulator at `dlt645` (the near ends of their own lines).
 */
export async function startProtocolRouter(paths: {
  line: string;
  modbus: string;
  dlt645: string;
}): Promise<ProtocolRouter> {
  const [line, modbus, dlt645] = await Promise.all([open(paths.line), open(paths.modbus), open(paths.dlt645)]);
  const to: Record<Protocol, SerialPort> = { modbus, dlt645 };
  const routed: ProtocolRouter['routed'] = [];
  let pending = Buffer.alloc(0);
  line.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let next = requestLength(pending); next && next.length <= pending.length; next = requestLength(pending)) {
      const frame = pending.subarray(0, next.length);
      pending = pending.subarray(next.length);
      routed.push({ protocol: next.protocol, bytes: Buffer.from(frame) });
      to[next.protocol].write(frame);
    }
  });
  for (const device of [modbus, dlt645]) device.on('data', (chunk: Buffer) => line.write(chunk));
  return {
    routed,
    stop: async () => {
      await Promise.all(
        [line, modbus, dlt645].map(
          (port) => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
        ),
      );
    },
  };
}
