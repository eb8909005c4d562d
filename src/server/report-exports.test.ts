import { describe, expect, it, vi } from 'vitest';
import type { Request, Response } from 'express';
import type { Config } from '../config/config.js';
import type { Context } from '../schema/common/index.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { exportFileName, settlementExport, type ExportDeps } from './report-exports.js';

/** A response that keeps what the handler sent. */
function response() {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const res = {
    status: (s: number) => ((sent.status = s), res),
    set: (h: Record<string, string> | string, v?: string) => (
      typeof h === 'string' ? (sent.headers[h] = v!) : Object.assign(sent.headers, h),
      res
    ),
    json: (b: unknown) => ((sent.body = b), res),
    send: (b: unknown) => ((sent.body = b), res),
  };
  return { res: res as unknown as Response, sent };
}

const request = {
  headers: { authorization: 'Bearer t' },
  query: { orgUnitId: 'x', period: '2026-10' },
} as unknown as Request;
const logger = { error: vi.fn() } as unknown as Logger;
const user = { id: 7, username: 'm', role: 'STATION_MANAGER' };
// The audit append fails here (no database): the refusal is still answered, and the failure logged.
const em = { fork: () => ({ transactional: () => Promise.reject(new Error('no database')) }) };

function deps(access: Partial<Context['access']>, charge?: () => Promise<void>): ExportDeps {
  return {
    config: { audit: { key: Buffer.alloc(32) }, reports: {} } as unknown as Config,
    logger,
    rateLimits: charge ? { charge, close: async () => {} } : undefined,
    context: async () => ({ access, em }) as unknown as Context,
    clientIp: () => '127.0.0.1',
  };
}

describe('settlementExport', () => {
  it('refuses an enrollment-only session like /graphql does, with 403 JSON', async () => {
    const { res, sent } = response();
    await settlementExport(deps({ user, enrollmentOnly: true } as never), 'csv')(request, res);
    expect(sent.status).toBe(403);
    expect(sent.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('one-time code') });
  });

  it('charges the rate-limit budget and answers 429 with Retry-After when it is spent', async () => {
    const charge = vi.fn(async () => {
      throw new AppError(ErrorCode.RATE_LIMITED, 'Rate limit exceeded', { retryAfter: 9 });
    });
    const { res, sent } = response();
    await settlementExport(deps({ user } as never, charge), 'pdf')(request, res);
    expect(charge).toHaveBeenCalledWith({ userId: 7, ip: '127.0.0.1' }, 501);
    expect(sent.status).toBe(429);
    expect(sent.headers['Retry-After']).toBe('9');
    expect(sent.body).toEqual({ code: 'RATE_LIMITED', message: 'Rate limit exceeded' });
  });

  it('names files by unit code and period, safe in a header', () => {
    expect(exportFileName('ST-YJ', '2026-10', 'csv')).toBe('settlement-ST-YJ-2026-10.csv');
    expect(exportFileName('站"; x', '2026-10', 'pdf')).toBe('settlement-_x-2026-10.pdf');
  });
});
