import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Personal data at rest (docs/adr/0010-personal-data-encryption.md).
 *
 * A value is stored sealed as `v1:<key id>:<base64url(iv | ciphertext | tag)>`: AES-256-GCM with a
 * random 96-bit IV per value. The associated data is `v1:<key id>:<column>`, so a value copied into
 * another column (or relabelled with another key id) fails to open. Equality search goes through
 * keyed hashes (HMAC-SHA256 over the normalised value), never through the ciphertext.
 *
 * Each configured key is a 32-byte master key; the AES key and the HMAC key are derived from it
 * with HKDF-SHA256 under different labels, so one secret per key id covers both, and a hash is
 * always under the same key id as the value next to it.
 */

/** The columns that hold sealed values, named as they are bound into the associated data. */
export const SealedColumn = {
  CUSTOMER_PHONE: 'customer.phone',
  CUSTOMER_ID_NUMBER: 'customer.id_number',
  /** A user's TOTP secret: a credential, sealed like personal data and rotated with it. */
  USER_TOTP_SECRET: 'app_user.totp_secret',
} as const;
export type SealedColumn = (typeof SealedColumn)[keyof typeof SealedColumn];

/** A stored value produced by `seal`: never a clear value (the brand stops plain strings). */
export type Sealed = string & { readonly __sealed: unique symbol };

export interface PersonalDataKey {
  /** Key id: letters, digits and dashes, written into every value sealed with the key. */
  id: string;
  /** 32 bytes of key material. */
  key: Buffer;
}

export const SEALED_VERSION = 'v1';
export const KEY_ID_PATTERN = /^[A-Za-z0-9-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT = Buffer.from('metergraph personal data');

/** Raised when a sealed value cannot be opened. The message never contains the value. */
export class PersonalDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersonalDataError';
  }
}

/** A value without the `v1:` prefix was written before encryption existed (legacy clear text). */
export function isSealed(value: string): boolean {
  return value.startsWith(`${SEALED_VERSION}:`);
}

/** The key id a sealed value is under, or undefined for legacy clear text. */
export function keyIdOf(value: string): string | undefined {
  if (!isSealed(value)) return undefined;
  const end = value.indexOf(':', SEALED_VERSION.length + 1);
  return end < 0 ? undefined : value.slice(SEALED_VERSION.length + 1, end);
}

interface DerivedKey {
  id: string;
  encryption: Buffer;
  hashing: Buffer;
}

const derive = (master: Buffer, label: string) =>
  Buffer.from(hkdfSync('sha256', master, SALT, `metergraph ${label} ${SEALED_VERSION}`, 32));

export class PersonalDataCipher {
  private readonly keys = new Map<string, DerivedKey>();
  private readonly current: DerivedKey;

  /** `keys[0]` seals new values; the others only open (and find) what was sealed under them. */
  constructor(keys: readonly PersonalDataKey[]) {
    if (!keys.length) throw new Error('at least one personal data key is required');
    for (const { id, key } of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new Error(`personal data key id ${JSON.stringify(id)} is malformed`);
      if (key.length !== 32) throw new Error(`personal data key ${id} must be 32 bytes`);
      if (this.keys.has(id)) throw new Error(`personal data key id ${id} is given twice`);
      this.keys.set(id, { id, encryption: derive(key, 'encryption'), hashing: derive(key, 'hashing') });
    }
    this.current = this.keys.get(keys[0]!.id)!;
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  knows(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Whether a stored value is sealed under the current key (nothing for rotation to do). */
  isCurrent(value: string): boolean {
    return keyIdOf(value) === this.current.id;
  }

  seal(column: SealedColumn, clear: string): Sealed {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.encryption, iv);
    cipher.setAAD(associatedData(this.current.id, column));
    const body = Buffer.concat([iv, cipher.update(clear, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_VERSION}:${this.current.id}:${body.toString('base64url')}` as Sealed;
  }

  /** The clear value; throws PersonalDataError for legacy clear text, an unknown key or any tampering. */
  open(column: SealedColumn, sealed: string): string {
    const keyId = keyIdOf(sealed);
    if (keyId === undefined) throw new PersonalDataError(`${column}: the stored value is not sealed`);
    const key = this.keys.get(keyId);
    if (!key) throw new PersonalDataError(`${column}: sealed under key ${keyId}, which is not configured`);
    const body = Buffer.from(sealed.slice(SEALED_VERSION.length + keyId.length + 2), 'base64url');
    if (body.length < IV_BYTES + TAG_BYTES) throw new PersonalDataError(`${column}: the sealed value is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.encryption, body.subarray(0, IV_BYTES));
      decipher.setAAD(associatedData(keyId, column));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new PersonalDataError(`${column}: the sealed value does not authenticate (altered, or another column's)`);
    }
  }

  /** The keyed hash stored next to a value sealed now (under the current key). */
  hash(column: SealedColumn, normalised: string): string {
    return hmac(this.current, column, normalised);
  }

  /**
   * The hashes a stored value may carry, one per configured key: a search matches rows whether or
   * not rotation has reached them yet.
   */
  searchHashes(column: SealedColumn, normalised: string): string[] {
    return [...this.keys.values()].map((key) => hmac(key, column, normalised));
  }
}

const associatedData = (keyId: string, column: SealedColumn) =>
  Buffer.from(`${SEALED_VERSION}:${keyId}:${column}`, 'utf8');

// The column is part of the message: the same digits as a phone and as an ID number hash apart.
const hmac = (key: DerivedKey, column: SealedColumn, normalised: string) =>
  createHmac('sha256', key.hashing).update(`${column}\0${normalised}`, 'utf8').digest('hex');

/** What phone search compares: the digits only ("138-1234-5678" and "13812345678" are one number). */
export function normalisePhone(value: string): string {
  return value.replace(/\D/g, '');
}

/** What ID number search compares: trimmed, the check character upper-cased. */
export function normaliseIdNumber(value: string): string {
  return value.trim().toUpperCase();
}

function mask(value: string, keepStart: number, keepEnd: number): string {
  if (value.length <= keepStart + keepEnd) return '*'.repeat(value.length);
  return value.slice(0, keepStart) + '*'.repeat(value.length - keepStart - keepEnd) + value.slice(-keepEnd);
}

/** "13812345678" -> "138****5678": enough to recognise a number on the phone, not to dial it. */
export const maskPhone = (phone: string): string => mask(phone, 3, 4);

/**
 * "45100219800101123X" -> "451*************3X": three leading and two trailing characters; the
 * county, the birth date and the sequence number stay hidden (the first six and last four left
 * little more than the birth date to guess).
 */
export const maskIdNumber = (idNumber: string): string => mask(idNumber, 3, 2);

const SEALED_IN_TEXT = /v1:[A-Za-z0-9-]{1,32}:[A-Za-z0-9_-]{8,}/g;

/**
 * Removes sealed values from free text (error messages that quote SQL with its parameters), so
 * that ciphertext reaches neither logs nor clients.
 */
export function redactSealed(text: string): string {
  return text.replace(SEALED_IN_TEXT, 'v1:[sealed]');
}

/** Parses `kid:base64key[,kid:base64key...]`; returns the keys or the problems, never the key material. */
export function parsePersonalDataKeys(text: string): { keys: PersonalDataKey[]; issues: string[] } {
  const keys: PersonalDataKey[] = [];
  const issues: string[] = [];
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!entries.length) issues.push('must list at least one key as kid:base64key');
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const material = colon < 0 ? '' : entry.slice(colon + 1);
    if (!KEY_ID_PATTERN.test(id)) {
      issues.push(`key ${i + 1}: the id before ":" must be 1-32 letters, digits or dashes`);
      continue;
    }
    if (keys.some((k) => k.id === id)) {
      issues.push(`key ${id}: the id is given twice`);
      continue;
    }
    const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(material) ? Buffer.from(material, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) {
      issues.push(`key ${id}: must be 32 bytes in base64 (e.g. openssl rand -base64 32)`);
      continue;
    }
    keys.push({ id, key });
  }
  return { keys, issues };
}

/** A fresh key entry for PERSONAL_DATA_KEYS. */
export function generatePersonalDataKey(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
