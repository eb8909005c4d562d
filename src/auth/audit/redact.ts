/**
 * What an audit record may keep of an input or an entity's state. Secrets never reach the log;
 * personal data is marked as changed without its value (the log is read by auditors, who are not
 * all entitled to it); long values are cut so that one bulk mutation cannot flood the log.
 */
const SECRET = /pass(word)?|token|secret|hash|totp|otp|apikey|privatekey|^key$/i;
/** What a secret's value is replaced with, in the audit log and wherever the API shows settings. */
export const REDACTED = '[redacted]';

/** True for a key whose value is a secret (a password, a token, a key): never shown, never logged. */
export const isSecretKey = (key: string): boolean => SECRET.test(key);
const PERSONAL = /^(phone|idNumber|id_number)$|sealed$/i;
const MAX_STRING = 500;
const MAX_ITEMS = 50;
const MAX_DEPTH = 6;

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') {
    // A JSON column arrives as its text (an entity's settings): its secrets are redacted all the same.
    const json = parsedObject(value);
    if (json) return JSON.stringify(redact(json, depth));
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => redact(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `[${value.length - MAX_ITEMS} more]`] : items;
  }
  if (typeof value === 'object') {
    // Decimals, entity references and the like: their own text form, or their id.
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== Object.prototype && proto !== null) {
      const id = (value as { id?: unknown }).id;
      if (id !== undefined) return { id: redact(id, depth + 1) };
      return String(value);
    }
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        v === null || v === undefined
          ? null
          : SECRET.test(k)
            ? REDACTED
            : PERSONAL.test(k)
              ? '[personal data]'
              : redact(v, depth + 1),
      ]),
    );
  }
  return String(value);
}

/** The object a string holds as JSON text, if it holds one. */
function parsedObject(text: string): object | undefined {
  if (!/^\s*[{[]/.test(text)) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
