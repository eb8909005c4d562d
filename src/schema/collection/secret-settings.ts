import { isSecretKey, REDACTED } from '../../auth/audit/redact.js';

/**
 * Device settings hold secrets (a meter's relay password, a broker's password). The API shows
 * settings with every secret's value replaced by "[redacted]", and a client that sends settings
 * back as it read them keeps the stored secrets: a secret given as "[redacted]" means "unchanged".
 * Secrets are recognised by their key, the same way the audit log recognises them.
 */
export function redactSecrets(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => [k, isSecretKey(k) && v !== null && v !== undefined ? REDACTED : v]),
  );
}

/** `incoming` with each secret given as "[redacted]" taken from `stored` (dropped if none is stored). */
export function keepSecrets(
  incoming: Record<string, unknown>,
  stored: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(incoming)) {
    if (isSecretKey(k) && v === REDACTED) {
      if (stored && stored[k] !== undefined) out[k] = stored[k];
    } else out[k] = v;
  }
  return out;
}
