import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from '../schema/common/index.js';
import { AppError, ErrorCode } from '../shared/errors.js';

/** What an enrollment-only session (one-time code asked, none set up yet) may ask for. */
export const ENROLLMENT_FIELDS = new Set(['me', 'enrollTotp', 'confirmTotp', 'logout', '__typename']);

/** Root fields of an operation (fragments on the root are rare and refused rather than followed). */
function rootFields(operation: OperationDefinitionNode): string[] | null {
  const names: string[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return null;
    names.push(selection.name.value);
  }
  return names;
}

/** The refusal of an enrollment-only session (HTTP 403), for GraphQL and the export routes alike. */
export const enrollmentRequired = () =>
  new AppError(ErrorCode.FORBIDDEN, 'Set up a one-time code first: enrollTotp, then confirmTotp', {
    totpEnrollmentRequired: true,
    http: { status: 403 },
  });

/**
 * Refuses, before anything runs, every operation of an enrollment-only session that asks for more
 * than setting up a one-time code. (WebSocket connections are refused such sessions altogether.)
 */
export function enrollmentGate(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (!contextValue.access.enrollmentOnly) return;
          const fields = operation ? rootFields(operation) : null;
          if (!fields || fields.some((f) => !ENROLLMENT_FIELDS.has(f)))
            // Raised before execution: without a status Apollo would answer 500.
            throw enrollmentRequired();
        },
      };
    },
  };
}
