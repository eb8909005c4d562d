import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { mapDatabaseError } from '../schema/common/index.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { redactSealed } from '../shared/personal-data.js';

const PUBLIC_CODES = new Set<string>(Object.values(ErrorCode));
// Errors the GraphQL layer itself raises for a malformed request are the client's fault.
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

const isTooManyVariableErrors = (error: unknown) =>
  error instanceof GraphQLError && error.message.startsWith('Too many errors processing variables');

/**
 * graphql-js ends some messages with suggestions drawn from the schema ("Did you mean "meters"?",
 * "... the enum value "ADMIN"?", "... to use an inline fragment on "User"?"): with introspection
 * off they would still let a client map the schema by typos, so production drops them.
 */
export const withoutSuggestions = (message: string): string => message.replace(/ ?Did you mean .*\?$/s, '');

/**
 * The last stop before a client (HTTP and WebSocket): known errors keep their typed code, database constraint
 * violations become CONFLICT/BAD_USER_INPUT with field paths, and everything else becomes INTERNAL
 * with a correlation id that is also in the log. In production the message of an INTERNAL error is
 * generic, so no SQL, stack or secret can leak.
 */
export function createErrorFormatter(logger: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      // `http` (status, headers) is for the transport, not the client's payload.
      const { http: _http, ...extensions } = original.extensions;
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    const mapped = mapDatabaseError(original);
    if (mapped) {
      return {
        message: mapped.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...mapped.extensions },
      };
    }
    // graphql-js gives up on variables after 50 coercion errors with an error that has no code.
    const code = isTooManyVariableErrors(original) ? 'BAD_USER_INPUT' : String(formatted.extensions?.code ?? '');
    // Errors without a path come from parsing, validation or variable coercion, never from a resolver.
    // Apollo gives them a code; over WebSocket graphql-js's own errors arrive without one, and at
    // most wrap another of its own (variable coercion), where a thrown exception would be wrapped.
    if (
      original instanceof GraphQLError &&
      !formatted.path &&
      (PUBLIC_CODES.has(code) ||
        REQUEST_ERROR_CODES.has(code) ||
        (!code && (!original.originalError || original.originalError instanceof GraphQLError)))
    ) {
      // Parse, validation and variable-coercion errors: safe to show, reported as bad input.
      const publicCode = PUBLIC_CODES.has(code) ? code : ErrorCode.BAD_USER_INPUT;
      return {
        message: production ? withoutSuggestions(formatted.message) : formatted.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: publicCode, ...(code && publicCode !== code ? { reason: code } : {}) },
      };
    }
    const correlationId = randomUUID();
    logger.error({ err: original, correlationId, path: formatted.path }, 'internal error');
    return {
      message: production
        ? `Internal server error (correlation id ${correlationId})`
        : `${redactSealed(formatted.message)} (correlation id ${correlationId})`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL, correlationId },
    };
  };
}
