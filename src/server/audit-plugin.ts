import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { appendAudit } from '../auth/audit/audit-log.js';
import { redact } from '../auth/audit/redact.js';
import { actorOf } from '../auth/audit/trail.js';
import type { Context } from '../schema/common/index.js';

/** Session mutations record their own security events (login, login_failed, token reuse...). */
const SELF_AUDITED = new Set(['login', 'customerLogin', 'refreshToken', 'logout']);

/**
 * Records every mutation field that ran: who (as the request ended up authenticated), the input,
 * the rows it changed with their values before and after, and the outcome (OK or the error code).
 * The records are appended before the response is sent, so a client that has its answer finds the
 * record; a failure to append is logged and answered as an error (an unaudited change must not look
 * like a normal one).
 */
export function auditPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart({ operation }) {
          if (operation?.operation !== 'mutation') return;
          return {
            willResolveField({ info, args, contextValue: ctx }) {
              if (info.path.prev !== undefined || SELF_AUDITED.has(info.fieldName) || !ctx.audit) return;
              const trail = ctx.audit;
              const mark = trail.mark();
              return (error) => {
                const { changes, changesOmitted, notes } = trail.since(mark);
                const outcome = error ? String((error as GraphQLError).extensions?.code ?? 'INTERNAL') : 'OK';
                trail.record({
                  action: info.fieldName,
                  outcome,
                  actor: actorOf(ctx.access.user),
                  // Changes of a failed mutation were rolled back with its transaction.
                  details: {
                    input: redact(args),
                    ...(outcome === 'OK' ? { changes, changesOmitted } : {}),
                    ...(notes ? { notes } : {}),
                  },
                });
              };
            },
          };
        },
        async willSendResponse({ contextValue: ctx, response }) {
          if (!ctx.audit?.entries.length) return;
          const entries = ctx.audit.entries.splice(0);
          try {
            await appendAudit(ctx.em, ctx.config.audit.key, entries, ctx.audit);
          } catch (error) {
            ctx.logger.error({ err: error, entries: entries.map((e) => e.action) }, 'audit append failed');
            if (response.body.kind === 'single') {
              response.body.singleResult.errors = [
                ...(response.body.singleResult.errors ?? []),
                { message: 'The change could not be recorded in the audit log', extensions: { code: 'INTERNAL' } },
              ];
            }
          }
        },
      };
    },
  };
}
