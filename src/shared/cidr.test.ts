import { describe, expect, it } from 'vitest';
import { clientAddress } from './cidr.js';

describe('client address behind proxies', () => {
  it('ignores X-Forwarded-For unless the peer is a trusted proxy', () => {
    expect(clientAddress('203.0.113.9', '10.9.9.9', [])).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', '10.9.9.9', ['10.0.0.0/8'])).toBe('203.0.113.9');
    expect(clientAddress('::ffff:10.0.0.2', '198.51.100.7', ['10.0.0.0/8'])).toBe('198.51.100.7');
  });

  it('walks back through trusted hops only, and stops at a malformed one', () => {
    // The client forged the first entry; the proxies appended the real hops.
    const xff = '1.2.3.4, 198.51.100.7, 10.0.0.3';
    expect(clientAddress('10.0.0.2', xff, ['10.0.0.0/8'])).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.2', 'garbage, 10.0.0.3', ['10.0.0.0/8'])).toBe('10.0.0.3');
    expect(clientAddress(undefined, '1.2.3.4', ['10.0.0.0/8'])).toBeUndefined();
  });
});
