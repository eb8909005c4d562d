/**
 * DL/T 645-2007 collectors: `dlt645-2007-tcp` (meters behind a transparent TCP gateway) and
 * `dlt645-2007-serial` (meters on a local RS-485 line). Both run the session of ./session.ts; they
 * differ only in the transport that carries the bytes.
 */
import { connect as tcpConnect } from 'node:net';
import { defineCollector, withSignal, z } from '../../sdk/index.js';
import { Dlt645Session, meterFields, pointSchema, type ByteLink, type Transport } from './session.js';

export { pointSchema, type Dlt645Point } from './session.js';
export { dlt645Serial } from './serial.js';

export const deviceSchema = z.object({
  /** Transparent TCP gateway (or a meter with a TCP port). */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  ...meterFields,
});
export type Dlt645Device = z.infer<typeof deviceSchema>;

function tcpTransport(host: string, port: number): Transport {
  return {
    where: `${host}:${port}`,
    open: async (signal, events) => {
      const socket = tcpConnect({ host, port });
      socket.setNoDelay(true);
      socket.on('data', (chunk) => events.data(chunk));
      socket.on('close', () => events.closed('connection closed by the peer'));
      // Errors end in 'close'; the listener keeps them from being thrown.
      socket.on('error', () => {});
      try {
        await withSignal(
          new Promise<void>((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('error', reject);
          }),
          signal,
        );
      } catch (error) {
        socket.destroy();
        throw error;
      }
      const link: ByteLink = {
        write: (bytes) =>
          new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve()))),
        close: async () => void socket.destroy(),
      };
      return link;
    },
  };
}

/** DL/T 645-2007 meters over a transparent TCP gateway. */
export const dlt645Tcp = defineCollector({
  describe: () => ({
    id: 'dlt645-2007-tcp',
    displayName: { en: 'DL/T 645-2007 over TCP', zh: 'DL/T 645-2007 (TCP 透传)' },
    mode: 'poll',
    transport: 'tcp',
    capabilities: { timeSync: true, events: true, relayControl: true },
  }),
  deviceSchema,
  pointSchema,
  // Meters behind one gateway share its line: one request at a time.
  resourceKey: (device) => `tcp:${device.settings.host}:${device.settings.port}`,
  createSession: (device, ctx) =>
    new Dlt645Session(device.settings, tcpTransport(device.settings.host, device.settings.port), ctx),
});

export default dlt645Tcp;
