import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../test/support/pty-pair.js';
import type { SerialLineSettings } from '../collectors/sdk/index.js';
import { createLogger } from '../shared/logger.js';
import { lineKey, SerialLines } from './serial-lines.js';

/** The host's serial lines on a pseudo-terminal line, with the test as the device at the far end. */
let pair: PtyPair;
let far: SerialPort;
const lines = new SerialLines(createLogger('silent'));
const settings = (extra: Partial<SerialLineSettings> = {}): SerialLineSettings => ({
  path: pair.b,
  baudRate: 9600,
  dataBits: 8,
  parity: 'even',
  stopBits: 1,
  ...extra,
});
const signal = () => AbortSignal.timeout(5000);

/** A session's ears: everything its line delivered, and a way to wait for some of it. */
function ears() {
  let heard = '';
  let lost: string | undefined;
  let wake = () => {};
  return {
    listener: {
      data: (bytes: Uint8Array) => {
        heard += Buffer.from(bytes).toString();
        wake();
      },
      lost: (reason: string) => {
        lost = reason;
        wake();
      },
    },
    heard: () => heard,
    lost: () => lost,
    until: (text: string) =>
      new Promise<void>((resolve) => {
        wake = () => heard.includes(text) && resolve();
        wake();
      }),
  };
}

const send = (text: string) => new Promise<void>((resolve) => far.write(text, () => far.drain(() => resolve())));

beforeAll(async () => {
  pair = await openPtyPair('serial-lines');
  far = new SerialPort({ path: pair.a, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => far.open((e) => (e ? reject(e) : resolve())));
});
afterAll(async () => {
  await lines.stop();
  await new Promise<void>((resolve) => (far?.isOpen ? far.close(() => resolve()) : resolve()));
  await pair?.stop();
});

describe("the host's serial lines", () => {
  it("give received bytes to the session whose call runs, and nobody else's bytes to it", async () => {
    const [a, b] = [lines.session(lineKey(pair.b)), lines.session(lineKey(pair.b))];
    const [earsA, earsB] = [ears(), ears()];
    const lineA = await a.during(() => a.open(settings(), earsA.listener, signal()));
    const lineB = await b.during(() => b.open(settings(), earsB.listener, signal()));

    // B's turn: what the far end says is B's.
    await b.during(async () => {
      await lineB.write(Buffer.from('ping-b'));
      await send('for-b');
      await earsB.until('for-b');
    });
    // A's turn: A hears only what comes now.
    await a.during(async () => {
      await send('for-a');
      await earsA.until('for-a');
    });
    expect(earsA.heard()).toBe('for-a');
    expect(earsB.heard()).toBe('for-b');

    // Outside its calls a session may not talk: the line is nobody's, or somebody else's.
    await expect(lineA.write(Buffer.from('late'))).rejects.toMatchObject({ name: 'CollectorError', kind: 'busy' });
    await a.release();
    await b.release();
  });

  it('open one port per line; other settings, another line than the key, or a locked port are refused with their kind', async () => {
    const a = lines.session(lineKey(pair.b));
    const line = await a.during(() => a.open(settings(), ears().listener, signal()));
    const other = lines.session(lineKey(pair.b));
    await expect(
      other.open(settings({ baudRate: 19_200, parity: 'none' }), ears().listener, signal()),
    ).rejects.toMatchObject({
      kind: 'misconfigured',
      message: `${pair.b} is open at 9600 baud 8E1 for another meter, this one is set to 19200 baud 8N1: meters on one line need the same serial settings`,
    });
    const elsewhere = lines.session('serial:/dev/ttyUSB7');
    await expect(elsewhere.open(settings(), ears().listener, signal())).rejects.toMatchObject({
      kind: 'misconfigured',
      message: expect.stringMatching(/but its device is on \/dev\/ttyUSB7/),
    });
    await line.close();
    await line.close();

    // Another program holds the port: busy, worth trying again later.
    const holder = new SerialPort({ path: pair.b, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())));
    try {
      await expect(a.open(settings(), ears().listener, signal())).rejects.toMatchObject({
        kind: 'busy',
        message: expect.stringMatching(/^cannot open .*lock/i),
      });
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    // A path with no port behind it: unreachable.
    await expect(
      lines.session().open(settings({ path: `${pair.b}-missing` }), ears().listener, signal()),
    ).rejects.toMatchObject({ kind: 'unreachable', message: expect.stringMatching(/^cannot open .*-missing/) });
  });

  it('tell every session on a line when the host stops, and close the port', async () => {
    const a = lines.session();
    const heard = ears();
    const line = await a.open(settings(), heard.listener, signal());
    await lines.stop();
    expect(heard.lost()).toBe('the host is stopping');
    await expect(a.during(() => line.write(Buffer.from('x')))).rejects.toMatchObject({ kind: 'unreachable' });
  });
});
