// PostGraphile v4 over the same database (schema public), as a plain HTTP server in a forked child.
// No JWT, no roles, no pgSettings: every request runs as the connecting user.
import { answerStats } from './count-statements.mjs';
import { announceReady } from './lib.mjs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createServer } from 'node:http';
import pg from 'pg';

// PostGraphile 4 ships graphql 15 in its own node_modules, but npm hoists one of its helpers
// (graphql-parse-resolve-info) next to the project's graphql 16, and two graphql copies in one
// schema fail ("Cannot use GraphQLScalarType from another module or realm"). This process runs
// nothing else, so every `graphql` require in it is pointed at PostGraphile's own copy.
const postgraphileDir = dirname(createRequire(import.meta.url).resolve('postgraphile/package.json'));
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveGraphql(request, parent, ...rest) {
  if (request === 'graphql' || request.startsWith('graphql/')) {
    return resolveFilename.call(
      this,
      request,
      { id: postgraphileDir, filename: `${postgraphileDir}/index.js`, paths: Module._nodeModulePaths(postgraphileDir) },
      ...rest,
    );
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
const { postgraphile } = createRequire(import.meta.url)('postgraphile');

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
});
const handler = postgraphile(pool, 'public', {
  graphqlRoute: '/graphql',
  graphiql: false,
  watchPg: false,
  retryOnInitFail: false,
  disableQueryLog: true,
  enableCors: false,
  legacyRelations: 'omit',
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
});
const server = createServer(handler);
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve);
});
answerStats(server, async () => {
  await new Promise((resolve) => server.close(resolve));
  server.closeAllConnections?.();
  await handler.release?.();
  await pool.end();
});
announceReady(server);
