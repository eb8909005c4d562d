import type { ApolloServerPlugin } from '@apollo/server';
import {
  getOperationAST,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Context } from '../schema/common/index.js';
import { AppError } from '../shared/errors.js';
import { limitedCost } from './query-limits.js';
import { budgetCost, type RateLimits } from './rate-limit.js';

export interface OperationGuard {
  /** For Apollo (HTTP): checks every operation once it is parsed, valid and resolved, before it runs. */
  apolloPlugin(): ApolloServerPlugin<Context>;
  /** Wraps graphql-ws's execute or subscribe: a refused operation is answered with the error and not run. */
  wrap<T>(run: (args: ExecutionArgs) => T): (args: ExecutionArgs) => Promise<Awaited<T> | { errors: AppError[] }>;
}

/**
 * What every operation passes before it runs, over HTTP and WebSocket alike, once its variables
 * are known: the cost limit computed with them, then (when rate limits are on) the caller's budget,
 * charged with the same cost. An operation refused by the limit is not charged.
 */
export function operationGuard(rateLimits: RateLimits | undefined): OperationGuard {
  const check = async (
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>> | null | undefined,
    ctx: Context,
  ) => {
    const cost = limitedCost(schema, document, operation, variables);
    await rateLimits?.charge({ userId: ctx.access.user?.id, ip: ctx.ip }, budgetCost(cost, document, operation));
  };
  return {
    apolloPlugin: () => ({
      async requestDidStart() {
        return {
          async didResolveOperation({ schema, document, operation, request, contextValue }) {
            // Resolved by now (Apollo refuses a document without the named operation before this hook).
            if (operation) await check(schema, document, operation, request.variables, contextValue);
          },
        };
      },
    }),
    wrap:
      <T>(run: (args: ExecutionArgs) => T) =>
      async (args: ExecutionArgs): Promise<Awaited<T> | { errors: AppError[] }> => {
        const operation = getOperationAST(args.document, args.operationName);
        try {
          if (operation)
            await check(args.schema, args.document, operation, args.variableValues, args.contextValue as Context);
        } catch (error) {
          if (error instanceof AppError) return { errors: [error] };
          throw error;
        }
        return await run(args);
      },
  };
}
