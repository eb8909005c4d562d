import type { EntityManager } from '@mikro-orm/postgresql';
import { OrgUnit, OrgUnitKind, Role, User } from '../orm/entities/index.js';
import type { Events } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Context } from '../schema/common/index.js';
import { planVerification, zoneOf } from '../schema/reading-round/index.js';
import { publishWorkOrderChanged } from '../schema/work-order/index.js';

export interface VerificationSweepOptions {
  em: EntityManager;
  events: Events;
  logger: Logger;
  defaultTimeZone: string;
  /** Hours between sweeps; 0 turns the sweep off. */
  everyHours: number;
  /** Meters due within this many days are planned (as planVerificationWorkOrders' default). */
  withinDays?: number;
}

/**
 * The daily sweep of periodic verification (paper 3.5): for every supply station, the meters due
 * within 30 days get their work orders, unassigned (CREATED) for the station's manager to assign.
 * It plans exactly as planVerificationWorkOrders does, so a meter planned by hand is not planned
 * again, and the other way round. The orders are recorded as created by the installation's first
 * administrator (the sweep has no person of its own). Runs once at start, then every
 * `everyHours`; stop() waits for a sweep in progress.
 */
export class VerificationSweep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopping = false;

  constructor(private readonly opts: VerificationSweepOptions) {}

  get enabled(): boolean {
    return this.opts.everyHours > 0;
  }

  start(): void {
    if (!this.enabled) return;
    const tick = () => {
      if (this.stopping || this.running) return;
      void this.runOnce().catch((error: unknown) => this.opts.logger.warn({ err: error }, 'verification sweep failed'));
    };
    this.timer = setInterval(tick, this.opts.everyHours * 3_600_000);
    this.timer.unref();
    tick();
  }

  /** One sweep over every station; resolves with the number of orders created. */
  runOnce(now = new Date()): Promise<number> {
    this.running ??= this.sweep(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(now: Date): Promise<number> {
    const em = this.opts.em.fork();
    const admin = await em.findOne(User, { role: Role.ADMIN, active: true }, { orderBy: { id: 'asc' } });
    if (!admin) {
      this.opts.logger.warn('verification sweep skipped: no active administrator to record as the orders creator');
      return 0;
    }
    const stations = await em.find(OrgUnit, { kind: OrgUnitKind.SUPPLY_STATION }, { orderBy: { id: 'asc' } });
    // publishWorkOrderChanged reads only the EntityManager and the event bus of its context.
    const ctx = { em, events: this.opts.events } as Pick<Context, 'em' | 'events'> as Context;
    let created = 0;
    for (const station of stations) {
      if (this.stopping) break;
      try {
        const orders = await planVerification(em.fork(), {
          unit: station,
          withinDays: this.opts.withinDays ?? 30,
          people: [],
          createdBy: admin,
          zone: await zoneOf(em, station, this.opts.defaultTimeZone),
          now,
        });
        for (const order of orders) await publishWorkOrderChanged(ctx, order, 'CREATED');
        created += orders.length;
        if (orders.length)
          this.opts.logger.info({ station: station.code, orders: orders.length }, 'verification work orders planned');
      } catch (error) {
        this.opts.logger.warn({ err: error, station: station.code }, 'verification sweep of a station failed');
      }
    }
    return created;
  }

  /** Resolves when no sweep is in progress. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
