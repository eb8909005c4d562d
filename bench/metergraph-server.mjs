// Metergraph as built in dist/, started like dist/src/main.js but inside a forked child so that the
// bench driver can read the statement count. Configuration comes from the environment (main.js's).
import { answerStats } from './count-statements.mjs';
import { announceReady } from './lib.mjs';
import 'reflect-metadata';

const { loadConfig } = await import('../dist/src/config/config.js');
const { startApp } = await import('../dist/src/app.js');
const { createLogger } = await import('../dist/src/shared/logger.js');

const config = loadConfig();
const logger = createLogger(config.logLevel);
const app = await startApp(config, logger);
answerStats(app.server.httpServer, () => app.stop());
announceReady(app.server.httpServer);
