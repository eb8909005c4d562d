/**
 * `dlt645-2007-serial`: DL/T 645-2007 meters on a local serial line (an RS-485 adapter such as
 * /dev/ttyUSB0), several meters per line told apart by address. The DL/T 645 logic is the shared
 * session of ./session.ts; the line is the host's (SDK 1.3 `ctx.serialLine`): one open port per
 * path, lent to each session for the time of its calls, shared with the meters of other protocols
 * on the same line (docs/adr/0019-serial-lines-owned-by-the-host.md).
 */
import { CollectorError, defineCollector, z, type SessionContext } from '../../sdk/index.js';
import { Dlt645Session, meterFields, pointSchema, type ByteLink, type Transport } from './session.js';

export const serialDeviceSchema = z.object({
  /** Serial device, e.g. /dev/ttyUSB0. */
  path: z.string().min(1),
  /** DL/T 645-2007 meters usually talk at 2400 baud (older ones at 1200, some at 9600). */
  baudRate: z.number().int().min(300).max(115_200).default(2400),
  /** The standard frames every byte as 8 data bits, even parity, 1 stop bit. */
  dataBits: z.literal(8).default(8),
  parity: z.enum(['none', 'even', 'odd']).default('even'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  ...meterFields,
});
export type Dlt645SerialDevice = z.infer<typeof serialDeviceSchema>;

const lineOf = ({ path, baudRate, dataBits, parity, stopBits }: Dlt645SerialDevice) => ({
  path,
  baudRate,
  dataBits,
  parity,
  stopBits,
});

/** The device's line, as the host lends it: bytes in and out, the meter's replies picked out by the session. */
function serialTransport(device: Dlt645SerialDevice, ctx: SessionContext): Transport {
  return {
    where: device.path,
    open: async (signal, events) => {
      if (!ctx.serialLine) throw new CollectorError('unsupported', 'this host offers no serial lines (SDK 1.3)');
      const line = await ctx.serialLine(
        lineOf(device),
        { data: (bytes) => events.data(Buffer.from(bytes)), lost: (reason) => events.closed(reason) },
        signal,
      );
      const link: ByteLink = { write: (bytes) => line.write(bytes), close: () => line.close() };
      return link;
    },
  };
}

/** DL/T 645-2007 meters on a local serial line (RS-485). */
export const dlt645Serial = defineCollector({
  describe: () => ({
    id: 'dlt645-2007-serial',
    displayName: { en: 'DL/T 645-2007 (serial)', zh: 'DL/T 645-2007 (串口 RS-485)' },
    mode: 'poll',
    transport: 'serial',
    capabilities: { timeSync: true, events: true, relayControl: true },
  }),
  deviceSchema: serialDeviceSchema,
  pointSchema,
  // One serial line carries one frame at a time, whichever meter (and protocol) it is for.
  serialLine: (device) => lineOf(device.settings),
  createSession: (device, ctx) => new Dlt645Session(device.settings, serialTransport(device.settings, ctx), ctx),
});
