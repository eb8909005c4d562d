import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CollectorError,
  defineCollector,
  errorKind,
  isCollectorError,
  isRetriable,
  isStandardSchema,
  parseSettings,
  SDK_VERSION,
  validateSettings,
  z,
  type StandardSchemaV1,
} from './index.js';

describe('collector SDK', () => {
  it('has one version: the package vendors install says the same as the constant plugins are branded with', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../packages/collector-sdk/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(pkg.version).toBe(SDK_VERSION);
  });

  it('tells retriable failures from permanent ones, also for errors from another copy of the SDK', () => {
    expect(new CollectorError('busy', 'port locked').retriable).toBe(true);
    expect(new CollectorError('misconfigured', 'no such address').retriable).toBe(false);
    // What a worker thread or another SDK copy makes: the same shape, another class.
    const foreign = Object.assign(new Error('unsupported function'), { name: 'CollectorError', kind: 'unsupported' });
    expect(isCollectorError(foreign)).toBe(true);
    expect(errorKind(foreign)).toBe('unsupported');
    expect(isRetriable(foreign)).toBe(false);
    // Anything else is what a throw always meant: the device is unreachable, try again later.
    expect(errorKind(new Error('ECONNREFUSED'))).toBe('unreachable');
    expect(isRetriable('a string')).toBe(true);
    expect(isCollectorError({ name: 'CollectorError', kind: 'weird' })).toBe(false);
  });
});

describe('settings schemas', () => {
  const jsonDevice = {
    type: 'object',
    properties: {
      host: { type: 'string', minLength: 1 },
      port: { type: 'integer', minimum: 1, maximum: 65535, default: 502 },
      meter: {
        type: 'object',
        properties: { address: { type: 'string', pattern: '^\\d{12}$' } },
        required: ['address'],
      },
    },
    required: ['host', 'meter'],
    additionalProperties: false,
  } as const;

  it('validates a plain JSON Schema with defaults, every problem with the path of its field', async () => {
    expect(await validateSettings(jsonDevice, { host: 'gw', meter: { address: '000000000001' } })).toEqual({
      value: { host: 'gw', port: 502, meter: { address: '000000000001' } },
    });
    const input = { port: 0, meter: { address: '12' }, extra: true };
    expect(await validateSettings(jsonDevice, input)).toEqual({
      issues: [
        { path: ['host'], message: "must have required property 'host'" },
        { path: ['extra'], message: 'must NOT have additional properties' },
        { path: ['port'], message: 'must be >= 1' },
        { path: ['meter', 'address'], message: 'must match pattern "^\\d{12}$"' },
      ],
    });
    // Defaults go into a copy: the caller's settings are left as they were.
    expect(input).toEqual({ port: 0, meter: { address: '12' }, extra: true });
  });

  it('validates with any Standard Schema validator, and with zod as plugins before 1.3 did', async () => {
    // A validator that is neither zod nor JSON Schema: the protocol is all the SDK needs.
    const evenPort: StandardSchemaV1<unknown, { port: number }> = {
      '~standard': {
        version: 1,
        vendor: 'hand-made',
        validate: (value) => {
          const port = (value as { port?: unknown })?.port;
          return typeof port === 'number' && port % 2 === 0
            ? { value: { port } }
            : { issues: [{ message: 'must be an even number', path: [{ key: 'port' }] }] };
        },
      },
    };
    expect(await validateSettings(evenPort, { port: 4 })).toEqual({ value: { port: 4 } });
    expect(await validateSettings(evenPort, { port: 5 })).toEqual({
      issues: [{ path: ['port'], message: 'must be an even number' }],
    });
    const zodPoint = z.object({ di: z.string().regex(/^[0-9A-F]{8}$/), index: z.number().default(0) });
    expect(await validateSettings(zodPoint, { di: '00010000' })).toEqual({ value: { di: '00010000', index: 0 } });
    expect((await validateSettings(zodPoint, { di: 'x' })).issues).toEqual([
      { path: ['di'], message: 'Invalid string: must match pattern /^[0-9A-F]{8}$/' },
    ]);
    await expect(parseSettings(zodPoint, { di: 'x' }, 'point p1 settings')).rejects.toMatchObject({
      name: 'CollectorError',
      kind: 'misconfigured',
      message: 'point p1 settings: di: Invalid string: must match pattern /^[0-9A-F]{8}$/',
    });
  });

  it('defineCollector turns a JSON Schema into a validator once, and refuses what is no schema', async () => {
    const plugin = defineCollector({
      describe: () => ({ id: 'json-only', displayName: { en: 'JSON only' }, mode: 'poll', transport: 'tcp' }),
      deviceSchema: jsonDevice,
      pointSchema: { type: 'object', properties: { register: { type: 'integer' } }, required: ['register'] },
      createSession: () => ({ connect: async () => {}, close: async () => {} }),
    });
    expect(isStandardSchema(plugin.deviceSchema)).toBe(true);
    expect((await validateSettings(plugin.pointSchema, {})).issues).toEqual([
      { path: ['register'], message: "must have required property 'register'" },
    ]);
    expect(() =>
      defineCollector({
        describe: () => ({ id: 'no-schema', displayName: { en: 'x' }, mode: 'poll', transport: 'tcp' }),
        deviceSchema: 'host:string' as never,
        pointSchema: {},
        createSession: () => ({ connect: async () => {}, close: async () => {} }),
      }),
    ).toThrow(/Standard Schema validator .* or a JSON Schema object/);
  });
});
