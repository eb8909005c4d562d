import { describe, expect, it } from 'vitest';
import { inRanges, normalizeIp, parseCidr } from '../shared/cidr.js';
import { inWindows, lockoutSeconds, refusal, type LoginRules } from './login-policy.js';

describe('login policy rules', () => {
  it('matches addresses against CIDR ranges, IPv4 seen through IPv6 included', () => {
    expect(inRanges('10.1.2.3', ['10.1.0.0/16'])).toBe(true);
    expect(inRanges('::ffff:10.1.2.3', ['10.1.0.0/16'])).toBe(true);
    expect(inRanges('10.2.0.1', ['10.1.0.0/16', '192.168.1.7'])).toBe(false);
    expect(inRanges('192.168.1.7', ['10.1.0.0/16', '192.168.1.7'])).toBe(true);
    expect(inRanges('2001:db8::5', ['2001:db8::/32'])).toBe(true);
    expect(inRanges(undefined, ['0.0.0.0/0'])).toBe(false);
    expect(inRanges('10.1.2.3', ['not a range'])).toBe(false);
    expect(normalizeIp('::1')).toBe('::1');
  });

  it('parses ranges strictly', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('10.0.0.1')).toMatchObject({ prefix: 32 });
    for (const bad of ['10.0.0.0/33', '10.0.0/8', '10.0.0.0/8/1', '10.0.0.0/-1', 'fe80::/129', '', '10.0.0.0/ 8'])
      expect(parseCidr(bad)).toBeNull();
  });

  it('opens windows in the org time zone, overnight ones included', () => {
    // 2026-11-26 is a Thursday (4). 01:30 UTC is 09:30 in Shanghai.
    const thu0930 = new Date('2026-11-26T01:30:00Z');
    const office = [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }];
    expect(inWindows(thu0930, 'Asia/Shanghai', office)).toBe(true);
    expect(inWindows(thu0930, 'UTC', office)).toBe(false);
    expect(inWindows(new Date('2026-11-28T01:30:00Z'), 'Asia/Shanghai', office)).toBe(false); // Saturday
    const night = [{ days: [4], start: '22:00', end: '06:00' }];
    expect(inWindows(new Date('2026-11-26T14:30:00Z'), 'Asia/Shanghai', night)).toBe(true); // Thu 22:30
    expect(inWindows(new Date('2026-11-26T20:00:00Z'), 'Asia/Shanghai', night)).toBe(true); // Fri 04:00
    expect(inWindows(new Date('2026-11-25T20:00:00Z'), 'Asia/Shanghai', night)).toBe(false); // Thu 04:00
    expect(inWindows(new Date('2026-11-26T10:00:00Z'), 'Asia/Shanghai', office)).toBe(false); // 18:00 is closed
  });

  it('locks after the limit, doubling up to the cap', () => {
    const rules = { maxFailures: 5, lockoutSeconds: 60, lockoutMaxSeconds: 3600 };
    expect([4, 5, 6, 7, 10, 11, 100].map((n) => lockoutSeconds(n, rules))).toEqual([0, 60, 120, 240, 1920, 3600, 3600]);
  });

  it('names the reason a session is refused', () => {
    const rules: LoginRules = {
      allowedCidrs: ['10.0.0.0/8'],
      windows: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' }],
      requireTotp: false,
      maxFailures: 5,
      lockoutSeconds: 60,
      lockoutMaxSeconds: 3600,
    };
    const now = new Date('2026-11-26T01:30:00Z');
    expect(refusal(rules, '10.0.0.1', now, 'UTC')).toBeNull();
    expect(refusal(rules, '127.0.0.1', now, 'UTC')).toBe('address');
    expect(refusal({ ...rules, windows: [{ days: [1], start: '08:00', end: '09:00' }] }, '10.0.0.1', now, 'UTC')).toBe(
      'time',
    );
  });
});
