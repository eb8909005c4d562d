import { Decimal } from 'decimal.js';
import mqtt, { type MqttClient } from 'mqtt';
import {
  badValue,
  defineCollector,
  withSignal,
  z,
  type CollectorSession,
  type PointRequest,
  type PointValue,
  type SessionContext,
  type ValueSink,
} from '../../sdk/index.js';

export const deviceSchema = z.object({
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 or mqtts://broker:8883. */
  url: z.string().regex(/^mqtts?:\/\/[^\s]+$/, 'must be an mqtt:// or mqtts:// URL'),
  username: z.string().optional(),
  password: z.string().optional(),
  /** The device's identity in topics, e.g. its meter address. */
  address: z.string().min(1).max(64),
  /** Topic template; {address} is replaced. */
  topic: z.string().min(1).default('meters/{address}/telemetry'),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
  /** Field of the JSON payload holding the measurement time (ISO-8601, or epoch seconds/milliseconds). */
  timestampField: z.string().optional(),
});
export type MqttDevice = z.infer<typeof deviceSchema>;

export const pointSchema = z.object({
  /** Dot path into the JSON payload, e.g. "energy.total" or "registers.0". */
  path: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'must be a dot path such as energy.total'),
  /** Exact multiplier for the raw value, e.g. "0.01". */
  scale: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .default('1'),
  decimals: z.number().int().min(0).max(6).default(2),
  unit: z.string().optional(),
});
export type MqttPoint = z.infer<typeof pointSchema>;

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

function pick(payload: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      payload,
    );
}

function timestampOf(payload: unknown, field: string | undefined, fallback: Date): Date | string {
  if (!field) return fallback;
  const raw = pick(payload, field);
  if (typeof raw === 'number') return new Date(raw < 1e12 ? raw * 1000 : raw);
  if (typeof raw === 'string' && !Number.isNaN(Date.parse(raw))) return new Date(raw);
  return `payload has no valid ${field}`;
}

/** Turns one JSON message into one value per point; anything unusable is a bad value with a reason. */
export function valuesFromMessage(
  text: string,
  points: PointRequest<MqttPoint>[],
  device: MqttDevice,
  now: Date,
): PointValue[] {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return points.map((p) => badValue(p.id, 'payload is not JSON', now));
  }
  const at = timestampOf(payload, device.timestampField, now);
  if (typeof at === 'string') return points.map((p) => badValue(p.id, at, now));
  return points.map((p) => {
    const raw = pick(payload, p.settings.path);
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
    if (text === undefined || !NUMBER.test(text)) return badValue(p.id, `no number at ${p.settings.path}`, at);
    const value = new Decimal(text).times(p.settings.scale).toFixed(p.settings.decimals, Decimal.ROUND_HALF_UP);
    return { pointId: p.id, value, unit: p.settings.unit, quality: 'good', measuredAt: at };
  });
}

/** A device that publishes JSON telemetry to a broker; the session subscribes with QoS 1. */
class MqttSession implements CollectorSession<MqttPoint> {
  private client?: MqttClient;

  constructor(
    private readonly device: MqttDevice,
    private readonly ctx: SessionContext,
  ) {}

  private get topic(): string {
    return this.device.topic.replaceAll('{address}', this.device.address);
  }

  async connect(signal: AbortSignal): Promise<void> {
    const client = mqtt.connect(this.device.url, {
      username: this.device.username,
      password: this.device.password,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      clean: true,
    });
    this.client = client;
    client.on('error', (error) => this.ctx.logger.warn('mqtt error', { error: error.message }));
    await withSignal(
      new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      }),
      signal,
    );
  }

  async subscribe(points: PointRequest<MqttPoint>[], sink: ValueSink, signal: AbortSignal): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('not connected');
    const topic = this.topic;
    const onMessage = (incoming: string, payload: Buffer) => {
      if (incoming !== topic) return;
      sink.values(valuesFromMessage(payload.toString('utf8'), points, this.device, this.ctx.now()));
    };
    client.on('message', onMessage);
    await client.subscribeAsync(topic, { qos: this.device.qos });
    // Deliver until the host stops the subscription.
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    client.off('message', onMessage);
    await client.unsubscribeAsync(topic).catch(() => undefined);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.endAsync(true).catch(() => undefined);
  }
}

/** Meters or gateways that publish JSON over MQTT. */
export default defineCollector({
  describe: () => ({
    id: 'mqtt-json',
    displayName: { en: 'MQTT (JSON payloads)', zh: 'MQTT (JSON)' },
    mode: 'push',
    transport: 'broker',
  }),
  deviceSchema,
  pointSchema,
  createSession: (device, ctx) => new MqttSession(device.settings, ctx),
});
