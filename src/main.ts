import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config.js';
import { startApp } from './app.js';
import { DEMO_LOGINS } from './demo/seed.js';
import { DataDirLockedError } from './orm/lock.js';
import { createLogger } from './shared/logger.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
try {
  const app = await startApp(config, logger);
  const { url } = app.server;
  logger.info({ url, database: app.db.embedded ? `embedded (${config.dataDir})` : 'postgresql' }, 'metergraph is up');
  if (process.stdout.isTTY || config.demo.enabled) {
    const lines = [
      '',
      `  Metergraph API   ${url}/graphql  (HTTP and WebSocket)`,
      `  Playground       ${url}/graphiql`,
      `  Health           ${url}/healthz   ${url}/readyz`,
      `  Database         ${app.db.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`,
    ];
    if (config.demo.enabled) {
      lines.push('', '  Demo logins (username / password):');
      for (const l of DEMO_LOGINS)
        lines.push(`    ${l.username.padEnd(11)} ${l.password.padEnd(17)} ${l.role.padEnd(18)} ${l.note}`);
    }
    console.log(lines.join('\n') + '\n');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  if (error instanceof DataDirLockedError) {
    logger.fatal(error.message);
    console.error(error.message);
    process.exit(1);
  }
  logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
}
