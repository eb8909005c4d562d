import { describe, expect, it } from 'vitest';
import { canonicalJson, chainStart, checkRows, GENESIS_HASH, recordHash, type StoredRecord } from './chain.js';
import { redact } from './redact.js';

const key = Buffer.from('k'.repeat(32));

function chain(n: number): StoredRecord[] {
  const rows: StoredRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const content = {
      id: String(i),
      at: new Date(Date.UTC(2026, 10, 26, 8, 0, i)),
      actorId: 1,
      actor: 'admin',
      actorRole: 'ADMIN',
      ip: '10.0.0.1',
      requestId: `r${i}`,
      action: 'updateMeter',
      outcome: 'OK',
      details: canonicalJson({ input: { id: i } }),
    };
    const hash = recordHash(key, prev, content);
    rows.push({ ...content, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

describe('audit hash chain', () => {
  it('accepts an intact chain, checked in batches', () => {
    const rows = chain(5);
    const state = checkRows(key, checkRows(key, chainStart(), rows.slice(0, 2)), rows.slice(2));
    expect(state).toEqual({ checked: 5, lastId: 5n, lastHash: rows[4]!.hash });
  });

  it('finds an edited record, a removed one and a reordered pair', () => {
    const edited = chain(5);
    edited[2] = { ...edited[2]!, outcome: 'FORBIDDEN' };
    expect(checkRows(key, chainStart(), edited).firstBrokenId).toBe('3');

    const removed = chain(5).filter((r) => r.id !== '3');
    expect(checkRows(key, chainStart(), removed).firstBrokenId).toBe('4');

    const rows = chain(5);
    const swapped = [rows[0]!, rows[2]!, rows[1]!, rows[3]!, rows[4]!];
    expect(checkRows(key, chainStart(), swapped).firstBrokenId).toBe('3');
  });

  it('cannot be recomputed without the key', () => {
    const rows = chain(3);
    const forged = { ...rows[1]!, outcome: 'OK!' };
    forged.hash = recordHash(Buffer.from('another key of 32 characters....'), forged.prevHash, forged);
    expect(checkRows(key, chainStart(), [rows[0]!, forged, rows[2]!]).firstBrokenId).toBe('2');
  });

  it('hashes content, not key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}',
    );
  });
});

describe('what an audit record keeps', () => {
  it('redacts secrets, marks personal data and cuts long values', () => {
    const out = redact({
      username: 'reader9',
      password: 'hunter2hunter2',
      passwordHash: '$argon2id$...',
      refreshToken: 'abc',
      phone: '13800138000',
      idNumber: '110101199003074219',
      phoneSealed: 'v1:k1:AAAA',
      note: 'x'.repeat(600),
      list: Array.from({ length: 60 }, (_, i) => i),
      at: new Date('2026-11-26T08:00:00Z'),
    }) as Record<string, unknown>;
    expect(out).toMatchObject({
      username: 'reader9',
      password: '[redacted]',
      passwordHash: '[redacted]',
      refreshToken: '[redacted]',
      phone: '[personal data]',
      idNumber: '[personal data]',
      phoneSealed: '[personal data]',
      at: '2026-11-26T08:00:00.000Z',
    });
    expect((out.note as string).length).toBe(501);
    expect(out.list).toHaveLength(51);
    expect(JSON.stringify(out)).not.toMatch(/hunter2|argon2|13800138000|110101199003074219/);
  });

  it('redacts secrets inside JSON text (a JSON column as a change set carries it), keeping other text', () => {
    const out = redact({
      settings: JSON.stringify({ address: '000000000001', relayPassword: '123456', nested: { password: 'x' } }),
      note: '{not json',
      list: '[1,2]',
    }) as Record<string, unknown>;
    expect(JSON.parse(out.settings as string)).toEqual({
      address: '000000000001',
      relayPassword: '[redacted]',
      nested: { password: '[redacted]' },
    });
    expect(out.note).toBe('{not json');
    expect(out.list).toBe('[1,2]');
  });
});
