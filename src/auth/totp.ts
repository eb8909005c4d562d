import { generateSecret, generateURI, verify } from 'otplib';

/**
 * One-time codes (TOTP, RFC 6238: 6 digits, 30-second steps, SHA-1), as every authenticator app
 * reads them from an otpauth:// URI.
 */
export const newTotpSecret = (): string => generateSecret();

export const totpUri = (issuer: string, label: string, secret: string): string =>
  generateURI({ issuer, label, secret });

/**
 * The time step a code belongs to, or null when it is wrong. A code from the step before or after
 * is accepted (clocks drift); a step at or before `afterStep` (the last code used) never is, so a
 * code seen over someone's shoulder cannot be replayed.
 */
export async function checkTotp(secret: string, code: string, afterStep?: number | null): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const result = await verify({
    secret,
    token: code,
    epochTolerance: 30,
    ...(afterStep != null ? { afterTimeStep: afterStep } : {}),
  });
  // A TOTP result carries its time step (the types join it with HOTP's).
  return result.valid ? (result as { timeStep: number }).timeStep : null;
}
