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
