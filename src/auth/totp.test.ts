import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { checkTotp, newTotpSecret, totpUri } from './totp.js';

describe('one-time codes', () => {
  it('accepts the current code once, and neither an old nor a malformed one', async () => {
    const secret = newTotpSecret();
    expect(totpUri('Metergraph', 'admin', secret)).toMatch(/^otpauth:\/\/totp\/Metergraph:admin\?secret=/);
    const code = await generate({ secret });
    const step = await checkTotp(secret, code);
    expect(step).toBe(Math.floor(Date.now() / 30_000));
    // The same code again (a replay) is refused once its step was used.
    expect(await checkTotp(secret, code, step)).toBeNull();
    expect(await checkTotp(secret, '12345')).toBeNull();
    expect(await checkTotp(secret, 'abcdef')).toBeNull();
    const old = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 300 });
    expect(await checkTotp(secret, old)).toBeNull();
    expect(await checkTotp(newTotpSecret(), code)).toBeNull();
  });
});
