/**
 * Relay global IDs: base64url("Type:localId"). Opaque to clients, stable across releases.
 */
export function toGlobalId(type: string, id: string | number): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

export function fromGlobalId(globalId: string): { type: string; id: string } | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(globalId)) return null;
  const text = Buffer.from(globalId, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const type = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (!/^[A-Za-z]+$/.test(type) || !/^\d{1,19}$/.test(id)) return null;
  return { type, id };
}

const INT_MAX = 2_147_483_647;
const BIGINT_MAX = '9223372036854775807';

/** Types whose rows have bigint keys (high-volume tables). */
const BIGINT_TYPES = new Set(['Reading', 'Alarm', 'CollectionTask']);
export const keyColumnOf = (type: string): 'integer' | 'bigint' => (BIGINT_TYPES.has(type) ? 'bigint' : 'integer');

/** True when `id` fits the key column: `integer` for archive rows, `bigint` for readings and alarms. */
export function fitsKey(id: string, column: 'integer' | 'bigint' = 'integer'): boolean {
  if (!/^\d{1,19}$/.test(id)) return false;
  if (column === 'integer') return Number(id) >= 1 && Number(id) <= INT_MAX;
  return id.length < 19 || id <= BIGINT_MAX;
}
