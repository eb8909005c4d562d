import {
  badValue,
  defineCollector,
  z,
  type CollectorSession,
  type DeviceEvent,
  type PointValue,
  type RegisterCode,
  type RelayCommand,
  type RelayResult,
} from '../../sdk/index.js';
import { hash01, registersWithOutages, registerTexts, type Outage, type Profile } from './load-curve.js';

export const deviceSchema = z.object({
  /** Makes each simulated meter different and repeatable. */
  seed: z.number().int().min(0),
  profile: z.enum(['residential', 'commercial', 'industrial', 'agricultural']).default('residential'),
  /** CT x PT of the simulated meter: its registers move this many times slower. */
  multiplier: z.number().positive().default(1),
  /** Register value at the start of the simulation (2024-01-01). */
  start: z.number().min(0).default(0),
  /** Share of reads that go wrong (no answer, a lower value, an impossible jump). */
  faultRate: z.number().min(0).max(1).default(0),
  /** Chance per meter and hour that the meter records an event (power down, now and then a cover opened). */
  eventRate: z.number().min(0).max(1).default(0),
  /**
   * After PERMIT_CLOSE, seconds until the simulated customer presses the button and the relay
   * closes (0: at once).
   */
  reconnectDelaySeconds: z.number().int().min(0).max(3600).default(0),
});

export const pointSchema = z.object({
  register: z.enum([
    'FORWARD_ACTIVE_TOTAL',
    'FORWARD_ACTIVE_T1',
    'FORWARD_ACTIVE_T2',
    'FORWARD_ACTIVE_T3',
    'FORWARD_ACTIVE_T4',
  ]),
});

type Device = z.infer<typeof deviceSchema>;
type Point = z.infer<typeof pointSchema>;

export type Fault = 'no-answer' | 'decrease' | 'jump';

/** Which fault, if any, hits this meter in this minute: deterministic, so tests can rely on it. */
export function faultAt(device: Device, at: Date): Fault | undefined {
  const minute = Math.floor(at.getTime() / 60_000);
  if (hash01(device.seed, minute, 7) >= device.faultRate) return undefined;
  const faults: Fault[] = ['no-answer', 'decrease', 'jump'];
  return faults[Math.floor(hash01(device.seed, minute, 11) * faults.length)];
}

const HOUR = 3_600_000;
/** Like a real meter's event log: the newest records of each kind, over the last two days. */
const EVENT_HISTORY_HOURS = 48;
const EVENTS_KEPT_PER_TYPE = 10;

/**
 * The events a simulated meter recorded up to `now`, oldest first: deterministic per meter and
 * hour, so reading them twice gives the same records. Mostly power downs of 1-30 minutes (one
 * still going on shows no end yet); one in ten is the meter cover opened.
 */
export function eventsUntil(device: Device, now: Date): DeviceEvent[] {
  if (!device.eventRate) return [];
  const events: DeviceEvent[] = [];
  const last = Math.floor(now.getTime() / HOUR);
  for (let hour = last - EVENT_HISTORY_HOURS; hour <= last; hour++) {
    if (hash01(device.seed, hour, 23) >= device.eventRate) continue;
    const occurredAt = new Date(Math.floor(((hour + hash01(device.seed, hour, 29)) * HOUR) / 1000) * 1000);
    if (occurredAt > now) continue;
    if (hash01(device.seed, hour, 31) < 0.1) {
      events.push({ type: 'METER_COVER_OPEN', occurredAt });
      continue;
    }
    const end = new Date(occurredAt.getTime() + Math.ceil(1 + hash01(device.seed, hour, 37) * 29) * 60_000);
    events.push({ type: 'POWER_OFF', occurredAt, ...(end <= now ? { endedAt: end } : {}) });
  }
  const kept = new Map<string, DeviceEvent[]>();
  for (const e of events) kept.set(e.type, [...(kept.get(e.type) ?? []), e].slice(-EVENTS_KEPT_PER_TYPE));
  return [...kept.values()].flat().sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
}

/**
 * The relays of simulated meters: per device, the times its relay was open. A simulated meter's
 * registers are a function of time (load-curve.ts); these outages are the only thing it remembers,
 * in this process's memory: a restart forgets them, and every simulated meter is closed again with
 * registers as if it had never been tripped (the readings stored meanwhile stay as they were).
 */
export class SimulatedRelays {
  private readonly outages = new Map<string, Outage[]>();

  /** The device's outages, oldest first (the last one open while tripped). */
  of(deviceId: string): readonly Outage[] {
    return this.outages.get(deviceId) ?? [];
  }

  /** `open` while tripped, `permitted` between PERMIT_CLOSE and the customer's button, else `closed`. */
  state(deviceId: string, at: Date): 'open' | 'permitted' | 'closed' {
    const last = this.of(deviceId).at(-1);
    if (!last || last.from > at) return 'closed';
    if (!last.to) return 'open';
    return last.to > at ? 'permitted' : 'closed';
  }

  /** A trip opens an outage (or, while a reconnect is pending, keeps the current one open). */
  trip(deviceId: string, at: Date): void {
    const list = this.outages.get(deviceId) ?? [];
    const last = list.at(-1);
    if (last && (!last.to || last.to > at)) delete last.to;
    else list.push({ from: at });
    this.outages.set(deviceId, list);
  }

  /** The customer reconnects `delayMs` after the permit; nothing happens to a closed relay. */
  permit(deviceId: string, at: Date, delayMs: number): void {
    const last = this.outages.get(deviceId)?.at(-1);
    if (last && !last.to) last.to = new Date(at.getTime() + delayMs);
  }

  clear(): void {
    this.outages.clear();
  }
}

/** The relays of this process's simulated meters (the demo's). */
export const simulatedRelays = new SimulatedRelays();

class SimulatedSession implements CollectorSession<Point> {
  constructor(
    private readonly id: string,
    private readonly device: Device,
    private readonly now: () => Date,
    private readonly relays: SimulatedRelays,
  ) {}

  async connect(): Promise<void> {}

  async read(points: { id: string; settings: Point; at?: Date }[], signal: AbortSignal): Promise<PointValue[]> {
    if (signal.aborted) throw signal.reason;
    const now = this.now();
    // Faults belong to the moment of reading; a frozen value (p.at) is the register at that time.
    const fault = faultAt(this.device, now);
    const outages = this.relays.of(this.id);
    const textsAt = (at: Date) =>
      registerTexts(
        registersWithOutages(
          this.device.seed,
          this.device.profile as Profile,
          at,
          this.device.multiplier,
          this.device.start,
          outages,
        ),
      );
    const current = textsAt(now);
    const valueOf = (register: RegisterCode, texts: typeof current): string =>
      register === 'FORWARD_ACTIVE_TOTAL' ? texts.total : texts.bands[Number(register.slice(-1)) - 1]!;
    return points.map((p) => {
      const at = p.at ?? now;
      if (fault === 'no-answer') return badValue(p.id, 'simulated meter did not answer', at);
      let value = valueOf(p.settings.register, p.at ? textsAt(p.at) : current);
      // A stored frozen value is what the meter froze then: only a current read goes wrong.
      if (!p.at && fault === 'decrease') value = Math.max(0, Number(value) - 10).toFixed(2);
      if (!p.at && fault === 'jump') value = (Number(value) + 5000).toFixed(2);
      return { pointId: p.id, value, unit: 'kWh', quality: 'good', measuredAt: at };
    });
  }

  async readEvents(since: Date | undefined, signal: AbortSignal): Promise<DeviceEvent[]> {
    if (signal.aborted) throw signal.reason;
    return eventsUntil(this.device, this.now()).filter((e) => !since || e.occurredAt > since);
  }

  /**
   * TRIP opens the relay (the registers stop), PERMIT_CLOSE lets the simulated customer close it
   * after `reconnectDelaySeconds`; the other commands have no switch to act on and are refused.
   * Confirmed with the relay's state after the command.
   */
  async controlRelay(command: RelayCommand, signal: AbortSignal): Promise<RelayResult> {
    if (signal.aborted) throw signal.reason;
    const now = this.now();
    if (command === 'TRIP') this.relays.trip(this.id, now);
    else if (command === 'PERMIT_CLOSE') this.relays.permit(this.id, now, this.device.reconnectDelaySeconds * 1000);
    else return { status: 'refused', reason: `a simulated meter has no ${command.toLowerCase().replace('_', ' ')}` };
    return { status: 'confirmed', state: this.relays.state(this.id, now) };
  }

  async close(): Promise<void> {}
}

/** Simulated meters with realistic daily load curves, TOU registers and optional faults. */
export default defineCollector({
  describe: () => ({
    id: 'simulator',
    displayName: { en: 'Simulated meters', zh: '模拟电表' },
    mode: 'poll',
    transport: 'virtual',
    capabilities: { events: true, relayControl: true },
  }),
  deviceSchema,
  pointSchema,
  createSession: (device, ctx) => new SimulatedSession(device.id, device.settings, ctx.now, simulatedRelays),
});
