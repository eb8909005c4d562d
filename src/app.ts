import type { Config } from './config/config.js';
import { ensureAdmin, ensureDefaultPermissions, ensureRootOrgUnit } from './bootstrap/bootstrap.js';
import { seedDemo } from './demo/seed.js';
import { migrate, openDatabase, type Database, type DatabaseOptions } from './orm/orm.js';
import { createEvents, createRedisEvents, type Events } from './shared/events.js';
import { join } from 'node:path';
import { createCollection, type CollectionPort, type SqlExecutor } from './collectors/index.js';
import { createSchema } from './schema/index.js';
import { SettlementJobs, VerificationSweep } from './jobs/index.js';
import { startServer, type RunningServer } from './server/http.js';
import { BUILTIN_COLLECTORS } from './collectors/builtin/index.js';
import { PluginHost } from './plugins/plugin-host.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from './shared/logger.js';
import { preparePersonalData } from './orm/personal-data.js';
import { PersonalDataCipher } from './shared/personal-data.js';

export interface App {
  db: Database;
  server: RunningServer;
  /** The in-process event bus (readings, alarms), for embedders and tests. */
  events: Events;
  /** Seals and opens personal data with the configured keys. */
  personalData: PersonalDataCipher;
  /** Background settlement runs: `idle()` resolves when none is in progress. */
  settlements: SettlementJobs;
  /** The periodic verification sweep (VERIFICATION_SWEEP_HOURS; off when 0): `runOnce()` for tests and tools. */
  verificationSweep: VerificationSweep;
  /** The port to collection the API uses (relay commands, on-demand reads), for embedders and tests. */
  collection: CollectionPort;
  /**
   * Resolves true once every value ingestion has accepted so far is in the database (false after
   * `timeoutMs`): for embedders and tests that look at the tables right after a read.
   */
  ingestionDrained(timeoutMs?: number): Promise<boolean>;
  seeded: boolean;
  stop(): Promise<void>;
}

/**
 * The composition: database -> migrations -> first-start data -> schema -> HTTP + WebSocket.
 * main.ts adds process concerns (signals, exit codes); tests call this directly.
 */
export async function startApp(config: Config, logger: Logger, dbOptions: DatabaseOptions = {}): Promise<App> {
  const personalData = new PersonalDataCipher(config.personalData.keys);
  const db = await openDatabase(config, logger, dbOptions);
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const em = db.orm.em.fork() as EntityManager;
    // Before anything reads customers: refuse unknown keys, seal clear text left by older versions.
    await preparePersonalData(em, personalData, logger);
    await ensureDefaultPermissions(em);
    const root = await ensureRootOrgUnit(em);
    await ensureAdmin(em, config, logger, root);
    const seeded = config.demo.enabled ? await seedDemo(em, root, personalData) : false;
    if (seeded) logger.info('demo data seeded');

    const plugins = new PluginHost(logger, {
      callTimeoutMs: config.collectors.callTimeoutMs,
      installDir: process.cwd(),
    });
    await plugins.load([
      ...BUILTIN_COLLECTORS.map((collector) => ({ kind: 'builtin' as const, collector })),
      ...config.collectors.plugins.map((spec) => ({ kind: 'package' as const, spec })),
    ]);
    const bus = config.redisUrl
      ? createRedisEvents(config.redisUrl)
      : { events: createEvents(), close: async () => {} };
    const { events } = bus;
    const schema = await createSchema(events);
    const sql: SqlExecutor = { execute: (text, params) => db.orm.em.getConnection().execute(text, params) };
    // Simulated meters are collected like real ones (plugin host -> runtime -> ingestion) in the
    // demo; a few reads fail or return implausible values on purpose.
    const collection = createCollection(sql, events, logger, plugins, {
      journalDir: join(config.dataDir, 'ingest-journal'),
      cycleMs: config.demo.enabled ? config.demo.liveIntervalMs : config.collectors.cycleMs,
      defaultTimeZone: config.defaultTimeZone,
      retryBaseMs: config.collectors.retryBaseMs,
      retryCapMs: config.collectors.retryCapMs,
      taskRetentionDays: config.collectors.taskRetentionDays,
      offlineAfterHours: config.collectors.offlineAfterHours,
      stoppedAfterDays: config.collectors.stoppedAfterDays,
      simulate: config.demo.enabled ? { faultRate: config.demo.faultRate } : undefined,
    });
    const settlements = new SettlementJobs({
      em: db.orm.em as EntityManager,
      events,
      logger,
      defaultTimeZone: config.defaultTimeZone,
    });
    settlements.followCorrections(events);
    const verificationSweep = new VerificationSweep({
      em: db.orm.em as EntityManager,
      events,
      logger,
      defaultTimeZone: config.defaultTimeZone,
      everyHours: config.verificationSweepHours,
    });
    const server = await startServer({
      config,
      logger,
      db,
      schema,
      events,
      collection: collection.port,
      personalData,
      settlements,
    });
    collection.start();
    verificationSweep.start();
    return {
      db,
      server,
      events,
      personalData,
      settlements,
      verificationSweep,
      collection: collection.port,
      ingestionDrained: (timeoutMs) => collection.ingestion.drain(timeoutMs),
      seeded,
      stop: async () => {
        await server.stop();
        // A settlement run ends after its current batch (INTERRUPTED) before the database goes away.
        await settlements.stop();
        await verificationSweep.stop();
        await collection.stop();
        await plugins.stop();
        await bus.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
