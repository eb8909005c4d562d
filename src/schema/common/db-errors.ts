import {
  CheckConstraintViolationException,
  DriverException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { AppError, ErrorCode, type FieldIssue } from '../../shared/errors.js';

const camel = (column: string) => column.replace(/_id$/, 'Id').replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** "customer_account_no_unique" on table customer -> "accountNo". */
function fieldOf(constraint: string | undefined, table: string | undefined): string | undefined {
  if (!constraint) return undefined;
  let rest = constraint.replace(/_(unique|foreign|check|uq|idx)$/, '');
  if (table && rest.startsWith(`${table}_`)) rest = rest.slice(table.length + 1);
  return camel(rest);
}

interface PgError {
  constraint?: string;
  table?: string;
  column?: string;
  code?: string;
  sqlState?: string;
}

// Data exceptions: numeric overflow, string too long, invalid number/date text.
const DATA_EXCEPTIONS = new Set(['22001', '22003', '22007', '22008', '22P02']);

/**
 * Turns a database constraint violation into a typed client error with a field path; anything
 * else returns undefined (it will be masked as INTERNAL). The SQL text never leaves the server.
 */
export function mapDatabaseError(
  error: unknown,
  root: (string | number)[] = ['input'],
  /** Maps a constraint name to the input field it guards, where the two are named differently. */
  fieldForConstraint: Record<string, string> = {},
): AppError | undefined {
  if (!(error instanceof DriverException)) return undefined;
  const pg = error as unknown as PgError;
  const field =
    (pg.constraint && fieldForConstraint[pg.constraint]) ??
    (pg.column ? camel(pg.column) : fieldOf(pg.constraint, pg.table));
  const fields: FieldIssue[] = field ? [{ path: [...root, field], message: '' }] : [];
  if (error instanceof UniqueConstraintViolationException) {
    if (pg.constraint?.startsWith('meter_assignment_open')) {
      return new AppError(ErrorCode.CONFLICT, 'The meter or service point already has an open installation', {
        fields: [],
      });
    }
    fields.forEach((f) => (f.message = 'is already in use'));
    return new AppError(ErrorCode.CONFLICT, `${field ?? 'A value'} is already in use`, { fields });
  }
  if (error instanceof ForeignKeyConstraintViolationException) {
    fields.forEach((f) => (f.message = 'refers to something that does not exist or is still referenced'));
    return new AppError(ErrorCode.BAD_USER_INPUT, 'A reference is invalid or still in use', { fields });
  }
  if (error instanceof NotNullConstraintViolationException) {
    fields.forEach((f) => (f.message = 'is required'));
    return new AppError(ErrorCode.BAD_USER_INPUT, `${field ?? 'A value'} is required`, { fields });
  }
  if (error instanceof CheckConstraintViolationException) {
    fields.forEach((f) => (f.message = 'is not an allowed value'));
    return new AppError(ErrorCode.BAD_USER_INPUT, 'A value is not allowed', { fields });
  }
  if (DATA_EXCEPTIONS.has(pg.code ?? pg.sqlState ?? '')) {
    return new AppError(ErrorCode.BAD_USER_INPUT, 'A value is out of range or malformed', { fields });
  }
  return undefined;
}
