import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  parse,
  validate,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { AppError, ErrorCode } from '../shared/errors.js';

/** Fields that check a secret: one per request, never under an alias (no brute force in one request). */
const GUARDED_FIELDS = new Set(['login', 'customerLogin', 'refreshToken']);

/** Rejects a request that asks `login` (or `refreshToken`) twice, or under an alias. */
export const oneCredentialCheckRule: ValidationRule = (context: ValidationContext) => {
  let seen = 0;
  return {
    Field(node) {
      // Only the root mutations: `refreshToken` is also a field of the login payload.
      if (!GUARDED_FIELDS.has(node.name.value) || context.getParentType() !== context.getSchema().getMutationType())
        return;
      seen++;
      if (node.alias || seen > 1)
        context.reportError(
          new GraphQLError(`${node.name.value} may be asked once per request and without an alias`, { nodes: node }),
        );
    },
  };
};

/** How the static cost of an operation is computed, for its limit and for the rate limits. */
const COST = { ignoreIntrospection: true, flattenFragments: true } as const;
// A page of 100 meters with their customer and latest reading (the API benchmark) costs about 7300;
// 100 units of 100 meters each would cost some 700 000.
export const MAX_COST = 20_000;

/**
 * The static cost of one operation of a document, as the cost limit computes it (each object 2,
 * each scalar 1, nested selections weighing 1.5 times more, lists multiplied by their `first`).
 * The cost rule reads `first`/`last` only when written in the document; given the variables, their
 * values count too (a page size passed as `$first` would otherwise cost as one row).
 */
export function staticCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables?: Readonly<Record<string, unknown>> | null,
): number {
  // Only this operation (with the fragments it may use): a document may carry several.
  const only = visit(
    {
      ...document,
      definitions: document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d === operation),
    },
    {
      Argument(node) {
        if ((node.name.value !== 'first' && node.name.value !== 'last') || node.value.kind !== Kind.VARIABLE) return;
        const value = variables?.[node.value.name.value];
        if (!Number.isSafeInteger(value)) return;
        return { ...node, value: { kind: Kind.INT, value: String(value) } };
      },
    },
  );
  let cost = 0;
  const measure = costLimitRule({
    ...COST,
    maxCost: Number.POSITIVE_INFINITY,
    onAccept: [(_context: ValidationContext | null, { n }: { n: number }) => void (cost += n)],
  }) as ValidationRule;
  validate(schema, only, [measure]);
  return cost;
}

/**
 * The cost limit: the static cost of the operation with its variables (a page size passed as
 * `$first` counts like one written in the document), refused above MAX_COST with BAD_USER_INPUT
 * naming the limit. Checked once the operation is resolved and before it runs (see
 * operation-guard.ts), because validation rules never see variables. Returns the cost.
 */
export function limitedCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables?: Readonly<Record<string, unknown>> | null,
): number {
  const cost = staticCost(schema, document, operation, variables);
  if (cost > MAX_COST)
    throw new AppError(ErrorCode.BAD_USER_INPUT, `Query Cost limit of ${MAX_COST} exceeded, found ${cost}.`, {
      http: { status: 400 },
    });
  return cost;
}

/**
 * Limits on the shape of every operation, HTTP and WebSocket alike, checked before anything runs.
 * Tuned to the schema: the deepest documented query (units -> meters -> customer -> unit, with
 * connection wrappers) is depth 9 and costs a few hundred; the limits leave room above that.
 * The cost limit is not among them: it needs the variables (`limitedCost`).
 */
export function queryLimitRules(): ValidationRule[] {
  // Reported as validation errors (BAD_USER_INPUT with the limit), not thrown: a throw inside
  // validation would surface as an internal error.
  const report = {
    propagateOnRejection: false,
    exposeLimits: true,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''))),
    ],
  };
  return [
    maxDepthRule({ n: 12, ignoreIntrospection: true, flattenFragments: true, ...report }),
    maxAliasesRule({ n: 15, ...report }),
    maxDirectivesRule({ n: 30, ...report }),
    oneCredentialCheckRule,
  ] as ValidationRule[];
}

/**
 * Tokens (names, punctuation, values) an operation may have: the parser stops past it, so a huge
 * document costs no more than this to refuse. The longest documented operation has about 300.
 */
export const MAX_TOKENS = 2000;

/** The parse error of a document over MAX_TOKENS (as over HTTP), or null; WebSocket checks it first. */
export function tokenLimitError(query: unknown): GraphQLError | null {
  if (typeof query !== 'string') return null;
  try {
    parse(query, { maxTokens: MAX_TOKENS, noLocation: true });
    return null;
  } catch (error) {
    return error instanceof GraphQLError && /tokens/.test(error.message)
      ? new AppError(ErrorCode.BAD_USER_INPUT, error.message.replace(/^Syntax Error: /, ''))
      : null;
  }
}

/** WebSocket carries subscriptions and queries; mutations go over HTTP, where they are audited. */
export const noMutationRule: ValidationRule = (context: ValidationContext) => ({
  OperationDefinition(node) {
    if (node.operation === 'mutation')
      context.reportError(new GraphQLError('Send mutations over HTTP, not WebSocket', { nodes: node }));
  },
});
