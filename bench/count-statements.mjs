// Counts every statement a process sends to PostgreSQL through node-postgres. Both servers under
// test reach PostgreSQL through the same `pg` package (MikroORM via knex, PostGraphile directly),
// so patching Client#query once counts both the same way. Import this before anything opens a pool.
import pg from 'pg';
import { ownCpuMs } from './lib.mjs';

let statements = 0;
/** Statements recorded while the driver asked for a trace (text and parameters), else null. */
let trace = null;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  statements += 1;
  if (trace) {
    const [first, second] = args;
    const text = typeof first === 'string' ? first : first?.text;
    const values = typeof first === 'string' ? second : first?.values;
    if (typeof text === 'string') trace.push({ text, values: Array.isArray(values) ? values : [] });
  }
  return query.apply(this, args);
};

let requests = 0;

/**
 * Answers the bench driver over the fork() IPC channel with the statements sent, the HTTP requests
 * received by `httpServer` and the CPU time used so far. Requests are counted here rather than in
 * the load generator, which drops its sockets at the deadline while some requests are still running.
 * `trace-start` / `trace-stop` record the statements sent in between, with their parameters.
 */
export function answerStats(httpServer, stop) {
  httpServer.on('request', () => {
    requests += 1;
  });
  process.on('message', async (message) => {
    if (message?.type === 'stats') {
      process.send({ type: 'stats', statements, requests, cpuMs: ownCpuMs() });
    } else if (message?.type === 'trace-start') {
      trace = [];
      process.send({ type: 'trace-start' });
    } else if (message?.type === 'trace-stop') {
      process.send({ type: 'trace-stop', statements: trace ?? [] });
      trace = null;
    } else if (message?.type === 'stop') {
      try {
        await stop();
      } finally {
        process.exit(0);
      }
    }
  });
  process.on('disconnect', () => process.exit(0));
}
