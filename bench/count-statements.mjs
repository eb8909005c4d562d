// Counts every statement a process sends to PostgreSQL through node-postgres. Both servers under
// test reach PostgreSQL through the same `pg` package (MikroORM via knex, PostGraphile directly),
// so patching Client#query once counts both the same way. Import this before anything opens a pool.
import pg from 'pg';

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  statements += 1;
  return query.apply(this, args);
};

let requests = 0;

/**
 * Answers the bench driver over the fork() IPC channel with the statements sent, the HTTP requests
 * received by `httpServer` and the CPU time used so far. Requests are counted here rather than in
 * the load generator, which drops its sockets at the deadline while some requests are still running.
 */
export function answerStats(httpServer, stop) {
  httpServer.on('request', () => {
    requests += 1;
  });
  process.on('message', async (message) => {
    if (message?.type === 'stats') {
      const cpu = process.cpuUsage();
      process.send({ type: 'stats', statements, requests, cpuMs: (cpu.user + cpu.system) / 1000 });
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
