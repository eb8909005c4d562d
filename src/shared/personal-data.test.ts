import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import {
  isSealed,
  keyIdOf,
  maskIdNumber,
  maskPhone,
  normaliseIdNumber,
  normalisePhone,
  parsePersonalDataKeys,
  PersonalDataCipher,
  PersonalDataError,
  redactSealed,
  SealedColumn,
} from './personal-data.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const PHONE = SealedColumn.CUSTOMER_PHONE;
const ID = SealedColumn.CUSTOMER_ID_NUMBER;

/** Flips one bit of the byte at `index` of a sealed value's body. */
function tamper(sealed: string, index: number): string {
  const [version, kid, body] = sealed.split(':') as [string, string, string];
  const bytes = Buffer.from(body, 'base64url');
  bytes[index < 0 ? bytes.length + index : index]! ^= 1;
  return `${version}:${kid}:${bytes.toString('base64url')}`;
}

describe('PersonalDataCipher', () => {
  const cipher = new PersonalDataCipher([k1]);

  it('round-trips, in the v1:<kid>:<base64url> format, with a fresh IV every time', () => {
    const a = cipher.seal(PHONE, '13812345678');
    const b = cipher.seal(PHONE, '13812345678');
    expect(a).toMatch(/^v1:k1:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('13812345678');
    // 12-byte IV + 11 bytes + 16-byte tag
    expect(Buffer.from(a.split(':')[2]!, 'base64url')).toHaveLength(12 + 11 + 16);
    expect(cipher.open(PHONE, a)).toBe('13812345678');
    expect(cipher.open(PHONE, b)).toBe('13812345678');
    expect(cipher.open(ID, cipher.seal(ID, '45100219800101123X'))).toBe('45100219800101123X');
  });

  it('refuses a tampered IV, ciphertext or tag, and a truncated value', () => {
    const sealed = cipher.seal(PHONE, '13812345678');
    for (const index of [0, 12, -1]) {
      expect(() => cipher.open(PHONE, tamper(sealed, index))).toThrow(PersonalDataError);
    }
    expect(() => cipher.open(PHONE, sealed.slice(0, 20))).toThrow(/truncated/);
  });

  it("refuses a value copied into another column, or relabelled with another key's id", () => {
    const phone = cipher.seal(PHONE, '13812345678');
    expect(() => cipher.open(ID, phone)).toThrow(/does not authenticate/);
    const both = new PersonalDataCipher([k1, { id: 'k9', key: k1.key }]);
    expect(() => both.open(PHONE, phone.replace('v1:k1:', 'v1:k9:'))).toThrow(/does not authenticate/);
  });

  it('never puts the value or the ciphertext in its error messages', () => {
    const sealed = cipher.seal(PHONE, '13812345678');
    try {
      cipher.open(ID, sealed);
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain(sealed.split(':')[2]!);
      expect(message).not.toContain('13812345678');
    }
  });

  it('rotates: new values under the first key, older keys still open, unknown keys fail', () => {
    const old = cipher.seal(PHONE, '13812345678');
    const rotated = new PersonalDataCipher([k2, k1]);
    expect(rotated.currentKeyId).toBe('k2');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.open(PHONE, old)).toBe('13812345678');
    const fresh = rotated.seal(PHONE, '13812345678');
    expect(keyIdOf(fresh)).toBe('k2');
    expect(rotated.isCurrent(fresh)).toBe(true);
    expect(() => cipher.open(PHONE, fresh)).toThrow(/key k2, which is not configured/);
  });

  it('hashes per key and column, and searches under every configured key', () => {
    const rotated = new PersonalDataCipher([k2, k1]);
    expect(cipher.hash(PHONE, '13812345678')).toMatch(/^[0-9a-f]{64}$/);
    expect(cipher.hash(PHONE, '13812345678')).toBe(cipher.hash(PHONE, '13812345678'));
    expect(cipher.hash(PHONE, '13812345678')).not.toBe(cipher.hash(ID, '13812345678'));
    expect(rotated.hash(PHONE, '13812345678')).not.toBe(cipher.hash(PHONE, '13812345678'));
    expect(rotated.searchHashes(PHONE, '13812345678')).toEqual([
      rotated.hash(PHONE, '13812345678'),
      cipher.hash(PHONE, '13812345678'),
    ]);
  });

  it('tells legacy clear text from sealed values', () => {
    expect(isSealed(cipher.seal(PHONE, '138'))).toBe(true);
    expect(isSealed('13812345678')).toBe(false);
    expect(isSealed('+86-138-1234-5678')).toBe(false);
    expect(keyIdOf('45100219800101123X')).toBeUndefined();
    expect(() => cipher.open(PHONE, '13812345678')).toThrow(/not sealed/);
  });

  it('checks its keys', () => {
    expect(() => new PersonalDataCipher([])).toThrow();
    expect(() => new PersonalDataCipher([{ id: 'k1', key: randomBytes(16) }])).toThrow(/32 bytes/);
    expect(() => new PersonalDataCipher([{ id: 'a:b', key: randomBytes(32) }])).toThrow(/malformed/);
    expect(() => new PersonalDataCipher([k1, k1])).toThrow(/twice/);
  });
});

describe('personal data helpers', () => {
  it('masks phone and ID numbers', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskIdNumber('45100219800101123X')).toBe('451*************3X');
    expect(maskPhone('1234')).toBe('****');
  });

  it('normalises what search compares', () => {
    expect(normalisePhone('+86 138-1234-5678')).toBe('8613812345678');
    expect(normaliseIdNumber(' 45100219800101123x ')).toBe('45100219800101123X');
  });

  it('cuts sealed values out of text', () => {
    const sealed = new PersonalDataCipher([k1]).seal(PHONE, '13812345678');
    expect(redactSealed(`insert into "customer" values ('${sealed}', 'x') - value too long`)).toBe(
      `insert into "customer" values ('v1:[sealed]', 'x') - value too long`,
    );
  });

  it('keeps sealed values out of logged errors', () => {
    const sealed = new PersonalDataCipher([k1]).seal(PHONE, '13812345678');
    let out = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        out += String(chunk);
        done();
      },
    });
    const error = Object.assign(new Error(`insert into "customer" ... values ('${sealed}') - value too long`), {
      query: `insert ... ('${sealed}')`,
    });
    createLogger('info', sink).error({ err: error }, 'internal error');
    expect(out).toContain('v1:[sealed]');
    expect(out).toContain('value too long');
    expect(out).not.toContain(sealed.split(':')[2]!);
  });

  it('parses PERSONAL_DATA_KEYS and reports problems without key material', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const parsed = parsePersonalDataKeys(`k2:${b.toString('base64')}, k1:${a.toString('base64url')}`);
    expect(parsed.issues).toEqual([]);
    expect(parsed.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(parsed.keys[1]!.key.equals(a)).toBe(true);
    const short = randomBytes(16).toString('base64');
    const bad = parsePersonalDataKeys(`k1:${short},nokey,k1:${a.toString('base64')},bad id:${a.toString('base64')}`);
    expect(bad.issues).toHaveLength(3);
    expect(bad.issues.join(' ')).not.toContain(short);
    expect(parsePersonalDataKeys(' , ').issues).toEqual(['must list at least one key as kid:base64key']);
  });
});
