import { badField } from '../../shared/errors.js';
import { fitsKey, fromGlobalId, keyColumnOf } from '../../shared/global-id.js';

/** Decodes a global ID of the expected type, or answers BAD_USER_INPUT at `path`. */
export function localId(globalId: string, type: string, path: (string | number)[]): number {
  const decoded = fromGlobalId(globalId);
  if (!decoded || decoded.type !== type || !fitsKey(decoded.id, keyColumnOf(type))) {
    throw badField(path, `must be the ID of a ${type}`);
  }
  return Number(decoded.id);
}
