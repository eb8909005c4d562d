import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { createErrorFormatter, withoutSuggestions } from './format-error.js';

const logger = createLogger('silent');
const format = (production: boolean, error: GraphQLError) =>
  createErrorFormatter(logger, production)(error.toJSON(), error);

describe('error formatting', () => {
  it('drops every form of graphql-js suggestion', () => {
    expect(withoutSuggestions('Cannot query field "mee" on type "Query". Did you mean "me"?')).toBe(
      'Cannot query field "mee" on type "Query".',
    );
    expect(withoutSuggestions('Unknown type "X". Did you mean "A", "B", or "C"?')).toBe('Unknown type "X".');
    expect(withoutSuggestions('Value "ADMN" does not exist in "Role" enum. Did you mean the enum value "ADMIN"?')).toBe(
      'Value "ADMN" does not exist in "Role" enum.',
    );
    expect(
      withoutSuggestions('Cannot query field "u" on type "Node". Did you mean to use an inline fragment on "User"?'),
    ).toBe('Cannot query field "u" on type "Node".');
    expect(withoutSuggestions('Nothing to hide?')).toBe('Nothing to hide?');
  });

  it('hides suggestions in production only, for errors graphql-js raises without a code (WebSocket)', () => {
    const error = new GraphQLError('Cannot query field "mee" on type "Query". Did you mean "me"?');
    expect(format(true, error)).toEqual({
      message: 'Cannot query field "mee" on type "Query".',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(format(false, error).message).toMatch(/Did you mean "me"\?$/);
  });

  it('keeps transport details (http status and headers) out of the payload', () => {
    const error = new AppError('RATE_LIMITED', 'slow down', { retryAfter: 3, http: { status: 429 } });
    expect(format(true, error)).toEqual({ message: 'slow down', extensions: { code: 'RATE_LIMITED', retryAfter: 3 } });
  });

  it('masks a thrown exception that reaches the client without a code', () => {
    const error = new GraphQLError('connect ECONNREFUSED 10.0.0.5:5432', { originalError: new Error('boom') });
    expect(format(true, error).extensions?.code).toBe('INTERNAL');
    expect(format(true, error).message).not.toMatch(/ECONNREFUSED/);
  });
});
