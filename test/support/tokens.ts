import { createHmac, sign, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TestServer } from '../harness.js';

/**
 * Tokens built by hand, the way an attacker would: any header, any claims, any signature. Nothing
 * here goes through the server's own signing code.
 */
const b64 = (value: object | Buffer) =>
  (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

export type Signer = (data: string) => Buffer;

export const hs256 =
  (secret: string | Buffer): Signer =>
  (data) =>
    createHmac('sha256', secret).update(data).digest();
export const rs256 =
  (privateKey: KeyObject): Signer =>
  (data) =>
    sign('sha256', Buffer.from(data), privateKey);
export const unsigned: Signer = () => Buffer.alloc(0);

export function forge(header: Record<string, unknown>, payload: Record<string, unknown>, signer: Signer): string {
  const data = `${b64({ typ: 'JWT', ...header })}.${b64(payload)}`;
  return `${data}.${b64(signer(data))}`;
}

/** The claims of a real token, with iat/exp moved to now (so only what a test changes differs). */
export function claimsOf(token: string, ttlSeconds = 900): Record<string, unknown> {
  const claims = jwt.decode(token) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  return { ...claims, iat: now, exp: now + ttlSeconds };
}

export const headerOf = (token: string) => jwt.decode(token, { complete: true })!.header;

/**
 * Opens a graphql-ws connection with the token in connection_init: 'connected' when the server
 * acknowledged it, otherwise the close code.
 */
export function wsHandshake(server: TestServer, token: string): Promise<'connected' | number> {
  const client = server.ws(token);
  return new Promise<'connected' | number>((resolve) => {
    client.on('connected', () => resolve('connected'));
    client.on('closed', (event) => resolve((event as { code: number }).code));
    // A lazy client connects on its first operation.
    client.subscribe({ query: '{ me { username } }' }, { next: () => {}, error: () => {}, complete: () => {} });
  }).finally(() => client.dispose());
}
