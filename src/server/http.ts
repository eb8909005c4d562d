import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { LiveSubscriptions } from './live-subscriptions.js';
import {
  execute,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  subscribe,
  validate,
  type GraphQLError,
} from 'graphql';
import { MAX_TOKENS, noMutationRule, queryLimitRules, tokenLimitError } from './query-limits.js';
import { WebSocketServer } from 'ws';
import { AuditTrail } from '../auth/audit/trail.js';
import { accessRenewal, authenticate, sessionCheck } from '../auth/authenticate.js';
import { clientAddress } from '../shared/cidr.js';
import { auditPlugin } from './audit-plugin.js';
import { enrollmentGate } from './enrollment-gate.js';
import type { Config } from '../config/config.js';
import type { Database } from '../orm/orm.js';
import type { CollectionPort } from '../collectors/index.js';
import { type Context, createLoaders, type SettlementRunner } from '../schema/common/index.js';
import type { Events } from '../shared/events.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { redactSealed, type PersonalDataCipher } from '../shared/personal-data.js';
import { createErrorFormatter } from './format-error.js';
import { operationGuard } from './operation-guard.js';
import { createRateLimits } from './rate-limit.js';
import { checkVariables, requestValuesPlugin, storableLiteralsRule } from './request-values.js';
import { playgroundRouter } from './playground.js';
import { kpiExport, settlementExport, type ExportDeps } from './report-exports.js';
import { fieldPhotoDownload, fieldPhotoUpload, type FieldPhotoDeps } from './field-photos.js';
import { createPhotoStore } from '../storage/index.js';

const BODY_LIMIT = '5mb';
/** body-parser's error types, in words for a client. */
const BODY_ERRORS: Record<string, string> = {
  'entity.too.large': `The request body is larger than ${BODY_LIMIT}`,
  'entity.parse.failed': 'The request body is not valid JSON',
};

export interface ServerDeps {
  config: Config;
  logger: Logger;
  db: Database;
  schema: GraphQLSchema;
  events: Events;
  collection: CollectionPort;
  personalData: PersonalDataCipher;
  settlements: SettlementRunner;
}

export interface RunningServer {
  httpServer: Server;
  url: string;
  /** The subscriptions running over WebSocket. */
  subscriptions: LiveSubscriptions;
  stop(): Promise<void>;
}

/** Counts operations in progress; `idle` resolves when none are left (or after `maxMs`). */
function tracker() {
  let count = 0;
  const waiters: (() => void)[] = [];
  return {
    start: () => void count++,
    end: () => {
      count = Math.max(0, count - 1);
      if (count === 0) waiters.splice(0).forEach((w) => w());
    },
    idle: (maxMs: number) =>
      count === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, maxMs);
            waiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
  };
}

/** The client's address; X-Forwarded-For counts only when it comes through TRUSTED_PROXIES. */
function clientIp(config: Config, req: IncomingMessage): string | undefined {
  return clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], config.login.trustedProxies);
}

/** One request's context: a fresh EntityManager, the caller's permissions and DataLoaders. */
async function buildContext(
  deps: ServerDeps,
  authorization: unknown,
  ip: string | undefined,
  requestId: string,
  audit?: AuditTrail,
): Promise<Context> {
  // An own event manager per audited request, so that its trail hears this request's flushes only
  // (transactions forked from `em` share it).
  const em = deps.db.orm.em.fork({ cloneEventManager: audit !== undefined }) as Context['em'];
  if (audit) em.getEventManager().registerSubscriber(audit);
  const access = await authenticate(em, deps.config, authorization, ip);
  return {
    audit,
    config: deps.config,
    logger: deps.logger.child({ requestId }),
    em,
    access,
    loaders: createLoaders(em, access, deps.config.defaultTimeZone),
    events: deps.events,
    collection: deps.collection,
    settlements: deps.settlements,
    personalData: deps.personalData,
    memo: new Map(),
    requestId,
    ip,
  };
}

export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config, logger, db, schema } = deps;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  // Idle keep-alive connections are closed by the client (or the load balancer in front, commonly
  // after 60 s) before the server does: a server closing first races a request the client is just
  // sending on that socket, which the client sees as ECONNRESET.
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;

  // The shape of an operation within limits, and only text the database can store in its literals.
  const limits = [...queryLimitRules(), storableLiteralsRule];
  const rateLimits = createRateLimits(config, logger);
  const guard = operationGuard(rateLimits);
  const formatError = createErrorFormatter(logger, config.isProduction);
  // The same last stop as over HTTP: typed codes kept, internals masked, suggestions dropped in production.
  const formatErrors = (errors: readonly GraphQLError[]) => errors.map((e) => formatError(e.toJSON(), e));
  const wsRules = [
    ...specifiedRules,
    ...limits,
    noMutationRule,
    // Apollo turns introspection off for HTTP; this path validates on its own.
    ...(config.isProduction ? [NoSchemaIntrospectionCustomRule] : []),
  ];
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const subscriptions = new LiveSubscriptions();
  // Operations that started an event stream; ended by onComplete, which graphql-ws calls for every
  // operation that got this far, however it ends. (Validation failures end before either.)
  const streaming = new WeakMap<object, Set<string>>();
  const wsCleanup = useServer<{ authorization?: unknown; Authorization?: unknown }, { authorization?: unknown }>(
    {
      schema,
      // The same limits on the shape of an operation as over HTTP; mutations go over HTTP only,
      // where they are audited.
      validate: (schema, document) => validate(schema, document, wsRules),
      // Variables hold only storable text and bounded nesting, as over HTTP (request-values.ts).
      onSubscribe: (_ctx, _id, payload) => {
        const error = tokenLimitError(payload.query) ?? checkVariables(payload.variables);
        if (error) return [error];
      },
      // The same cost limit and budgets as over HTTP, once the operation is valid and before it runs.
      execute: guard.wrap(execute),
      subscribe: guard.wrap(subscribe),
      // connection_init must carry a valid token; otherwise the socket closes with 4403.
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          const em = db.orm.em.fork() as Context['em'];
          const access = await authenticate(em, config, authorization, clientIp(config, ctx.extra.request));
          // The login policy holds as at login (authenticate checks it, lockouts included); an
          // enrollment-only session opens no connection.
          if (!access.user || access.enrollmentOnly) return false;
          ctx.extra.authorization = authorization;
          return true;
        } catch {
          return false;
        }
      },
      // A fresh context per operation, authenticated again: a session ended since connection_init
      // cannot start new subscriptions, and running ones re-check it before every event.
      context: async (ctx) => {
        const endConnection = () => ctx.extra.socket.close(4403, 'Forbidden');
        try {
          const ip = clientIp(config, ctx.extra.request);
          const context = await buildContext(deps, ctx.extra.authorization, ip, randomUUID());
          context.sessionValid = sessionCheck(db.orm.em as Context['em'], config, ctx.extra.authorization, ip);
          context.renewAccess = accessRenewal(db.orm.em as Context['em'], context.access);
          context.endConnection = endConnection;
          return context;
        } catch (error) {
          endConnection();
          throw error;
        }
      },
      onOperation: (ctx, id, _payload, _args, result) => {
        if (!result || typeof result !== 'object' || !(Symbol.asyncIterator in result)) return;
        const ids = streaming.get(ctx) ?? new Set<string>();
        streaming.set(ctx, ids.add(id));
        subscriptions.started(id);
      },
      onComplete: (ctx, id) => {
        if (streaming.get(ctx)?.delete(id)) subscriptions.ended(id);
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: formatErrors(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => {
        logger.warn({ errors: errors.map((e) => redactSealed(e.message)) }, 'subscription error');
        return formatErrors(errors);
      },
    },
    wsServer,
  );

  const inFlight = tracker();
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !config.isProduction,
    validationRules: limits,
    // The parser itself stops at MAX_TOKENS: an enormous document is refused before it is built.
    parseOptions: { maxTokens: MAX_TOKENS },
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns the signals: it stops the live demo, the server and the database in order.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      requestValuesPlugin(),
      auditPlugin(),
      enrollmentGate(),
      guard.apolloPlugin(),
      {
        // Operations keep running after their client hung up; shutdown waits for them too.
        async requestDidStart() {
          inFlight.start();
          return {
            async willSendResponse() {
              inFlight.end();
            },
          };
        },
      },
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await db.orm.em.getConnection().execute('select 1');
      res.json({ status: 'ready', database: db.embedded ? 'embedded' : 'postgresql' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });
  app.use('/graphiql', playgroundRouter());
  app.use(
    '/graphql',
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId =
          (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 64)) || randomUUID();
        try {
          const ip = clientIp(config, req);
          return await buildContext(deps, req.headers.authorization, ip, requestId, new AuditTrail(ip, requestId));
        } catch (error) {
          if (error instanceof AppError) {
            throw new AppError(error.extensions.code as never, error.message, { http: { status: 401 } });
          }
          throw error;
        }
      },
    }),
  );
  // A body the JSON parser refuses (over the size limit, malformed) is answered like any other bad
  // request, as JSON with a code, instead of Express's HTML error page.
  app.use('/graphql', (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    const { status, type, message } = (error ?? {}) as { status?: unknown; type?: unknown; message?: unknown };
    if (typeof status !== 'number' || status < 400 || status >= 500) return next(error);
    const text =
      BODY_ERRORS[String(type)] ?? (typeof message === 'string' && message ? message : 'The request body was refused');
    res.status(status).json({
      errors: [{ message: text, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: String(type ?? status) } }],
    });
  });
  // Downloads and printing of reports: the same context, gate, budget and audit as /graphql.
  const exportDeps: ExportDeps = {
    config,
    logger,
    rateLimits,
    context: (authorization, ip, requestId, audit) => buildContext(deps, authorization, ip, requestId, audit),
    clientIp: (req) => clientIp(config, req),
  };
  app.get('/reports/settlement.csv', settlementExport(exportDeps, 'csv'));
  app.get('/reports/settlement.pdf', settlementExport(exportDeps, 'pdf'));
  app.get('/reports/kpis.csv', kpiExport(exportDeps, 'csv'));
  app.get('/reports/kpis.pdf', kpiExport(exportDeps, 'pdf'));
  // Field photos: the same context, gate, budget and audit; the bytes in the configured store.
  const photoDeps: FieldPhotoDeps = { ...exportDeps, store: createPhotoStore(config.photos) };
  app.post('/field/photos', fieldPhotoUpload(photoDeps));
  app.get('/field/photos/:id', fieldPhotoDownload(photoDeps));
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/', (_req, res) => {
    res.redirect('/graphiql');
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    httpServer,
    url: `http://${host}:${port}`,
    subscriptions,
    // Stops accepting, lets in-flight requests finish (Apollo's drain), closes sockets.
    stop: async () => {
      await apollo.stop();
      wsServer.close();
      await inFlight.idle(config.shutdownTimeoutMs);
      await rateLimits?.close();
    },
  };
}
