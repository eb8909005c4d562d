import { describe, expect, it } from 'vitest';
import { WorkOrderStatus } from '../../orm/entities/enums.js';
import { allows } from './status-flow.js';

const S = WorkOrderStatus;

describe('work order status flow', () => {
  it('walks created -> assigned -> in progress -> submitted -> approved -> closed, and back to work after a rejection', () => {
    expect(allows(S.CREATED, 'assign')).toBe(true);
    expect(allows(S.ASSIGNED, 'start')).toBe(true);
    expect(allows(S.IN_PROGRESS, 'confirm')).toBe(true);
    expect(allows(S.SUBMITTED, 'approve')).toBe(true);
    expect(allows(S.SUBMITTED, 'reject')).toBe(true);
    expect(allows(S.REJECTED, 'start')).toBe(true);
    expect(allows(S.APPROVED, 'close')).toBe(true);
  });

  it('refuses skipping steps and touching finished work', () => {
    expect(allows(S.CREATED, 'start')).toBe(false);
    expect(allows(S.ASSIGNED, 'confirm')).toBe(false);
    expect(allows(S.IN_PROGRESS, 'approve')).toBe(false);
    expect(allows(S.SUBMITTED, 'assign')).toBe(false);
    expect(allows(S.APPROVED, 'assign')).toBe(false);
    expect(allows(S.APPROVED, 'cancel')).toBe(false);
    for (const action of ['assign', 'start', 'visit', 'confirm', 'approve', 'reject', 'close', 'cancel'] as const) {
      expect(allows(S.CLOSED, action)).toBe(false);
    }
  });
});
