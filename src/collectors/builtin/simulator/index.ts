import {
  badValue,
  defineCollector,
  z,
  type CollectorSession,
  type PointValue,
  type RegisterCode,
} from '../../sdk/index.js';
import { hash01, registersAt, registerTexts, type Profile } from './load-curve.js';

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

class SimulatedSession implements CollectorSession<Point> {
  constructor(
    private readonly device: Device,
    private readonly now: () => Date,
  ) {}

  async connect(): Promise<void> {}

  async read(points: { id: string; settings: Point; at?: Date }[], signal: AbortSignal): Promise<PointValue[]> {
    if (signal.aborted) throw signal.reason;
    const now = this.now();
    // Faults belong to the moment of reading; a frozen value (p.at) is the register at that time.
    const fault = faultAt(this.device, now);
    const textsAt = (at: Date) =>
      registerTexts(
        registersAt(this.device.seed, this.device.profile as Profile, at, this.device.multiplier, this.device.start),
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

  async close(): Promise<void> {}
}

/** Simulated meters with realistic daily load curves, TOU registers and optional faults. */
export default defineCollector({
  describe: () => ({
    id: 'simulator',
    displayName: { en: 'Simulated meters', zh: '模拟电表' },
    mode: 'poll',
    transport: 'virtual',
  }),
  deviceSchema,
  pointSchema,
  createSession: (device, ctx) => new SimulatedSession(device.settings, ctx.now),
});
