import { describe, expect, it } from 'vitest';
import { PermissionScope, Role } from '../orm/entities/enums.js';
import {
  accessibleWhere,
  allowsEvent,
  buildAbility,
  fieldAccess,
  fieldsVaryByRow,
  limitsFields,
  withoutGrants,
  type GrantScope,
  type Principal,
} from './ability.js';
import { DEFAULT_PERMISSIONS } from './permissions.js';

const who = { orgPath: '/1/4/' };

describe('rules to SQL conditions', () => {
  it('returns null (query nothing) when no rule allows, never an empty $or', () => {
    const ability = buildAbility(DEFAULT_PERMISSIONS[Role.CUSTOMER], { ...who, customerId: 7, customerMeterIds: [] });
    expect(accessibleWhere(ability, 'read', 'OrgUnit')).toBeNull();
    expect(accessibleWhere(ability, 'read', 'Meter')).toEqual({ id: { $in: [0] } });
  });

  it('scopes a station manager to the subtree by path prefix', () => {
    const ability = buildAbility(DEFAULT_PERMISSIONS[Role.STATION_MANAGER], who);
    expect(accessibleWhere(ability, 'read', 'Meter')).toEqual({ orgUnit: { path: { $like: '/1/4/%' } } });
    expect(accessibleWhere(ability, 'read', 'Reading')).toEqual({ meter: { orgUnit: { path: { $like: '/1/4/%' } } } });
    expect(accessibleWhere(ability, 'delete', 'Meter')).toBeNull();
  });

  it('reaches the own rows of staff with OWN_ACCOUNT: their training records, their user, their assessment row', () => {
    const reader = buildAbility(DEFAULT_PERMISSIONS[Role.METER_READER], { ...who, userId: 12 });
    expect(accessibleWhere(reader, 'read', 'TrainingRecord')).toEqual({ user: 12 });
    expect(accessibleWhere(reader, 'read', 'Assessment', { subject: 'User', who: { ...who, userId: 12 } })).toEqual({
      id: 12,
    });
    // Not a unit's figures: no org unit is their own.
    expect(accessibleWhere(reader, 'read', 'Assessment', { subject: 'OrgUnit', who: { ...who, userId: 12 } })).toEqual({
      id: { $in: [0] },
    });
    expect(accessibleWhere(reader, 'create', 'TrainingRecord')).toBeNull();
    const manager = buildAbility(DEFAULT_PERMISSIONS[Role.STATION_MANAGER], { ...who, userId: 3 });
    expect(accessibleWhere(manager, 'read', 'TrainingRecord')).toEqual({
      user: { orgUnit: { path: { $like: '/1/4/%' } } },
    });
    expect(accessibleWhere(manager, 'read', 'Assessment', { subject: 'User', who })).toEqual({
      orgUnit: { path: { $like: '/1/4/%' } },
    });
  });

  it('gives admins everything without a condition', () => {
    const ability = buildAbility(DEFAULT_PERMISSIONS[Role.ADMIN], who);
    expect(accessibleWhere(ability, 'update', 'Customer')).toEqual({});
  });

  it('combines several rules with $or and inverted ones with $not', () => {
    const ability = buildAbility(
      [
        { action: 'read', subject: 'Meter', scope: PermissionScope.ORG_SUBTREE },
        { action: 'read', subject: 'Meter', scope: PermissionScope.OWN_ACCOUNT },
      ],
      { ...who, customerMeterIds: [5] },
    );
    expect(accessibleWhere(ability, 'read', 'Meter')).toEqual({
      $or: [{ id: { $in: [5] } }, { orgUnit: { path: { $like: '/1/4/%' } } }],
    });
  });

  it('hides personal fields from meter readers only', () => {
    const reader = buildAbility(DEFAULT_PERMISSIONS[Role.METER_READER], who);
    const manager = buildAbility(DEFAULT_PERMISSIONS[Role.STATION_MANAGER], who);
    expect(reader.can('read', 'Customer')).toBe(true);
    expect(reader.can('read', 'Customer', 'phone')).toBe(false);
    expect(manager.can('read', 'Customer', 'idNumber')).toBe(true);
  });
});

describe('rules applied to an event in memory', () => {
  it('agrees with the SQL scopes: subtree, own account, everything, nothing', () => {
    const manager = buildAbility(DEFAULT_PERMISSIONS[Role.STATION_MANAGER], who);
    expect(allowsEvent(manager, 'read', 'Alarm', who, { orgPath: '/1/4/9/' })).toBe(true);
    expect(allowsEvent(manager, 'read', 'Alarm', who, { orgPath: '/1/5/9/' })).toBe(false);
    const customerWho = { orgPath: '/1/4/', customerId: 7, customerMeterIds: [42] };
    const customer = buildAbility(DEFAULT_PERMISSIONS[Role.CUSTOMER], customerWho);
    expect(allowsEvent(customer, 'read', 'Reading', customerWho, { orgPath: '/1/4/9/', meterId: 42 })).toBe(true);
    expect(allowsEvent(customer, 'read', 'Reading', customerWho, { orgPath: '/1/4/9/', meterId: 43 })).toBe(false);
    expect(allowsEvent(customer, 'read', 'Alarm', customerWho, { orgPath: '/1/4/9/', meterId: 42 })).toBe(false);
    const auditor = buildAbility(DEFAULT_PERMISSIONS[Role.AUDITOR], who);
    expect(allowsEvent(auditor, 'read', 'Alarm', who, { orgPath: '/9/' })).toBe(true);
  });

  it("reaches a customer's own account by customer id (prepayment notices), and staff by subtree", () => {
    const customerWho = { orgPath: '/1/4/', customerId: 7, customerMeterIds: [42] };
    const customer = buildAbility(DEFAULT_PERMISSIONS[Role.CUSTOMER], customerWho);
    const facts = (customerId: number) => ({ orgPath: '/1/4/9/', customerId });
    expect(allowsEvent(customer, 'read', 'PrepaymentEvent', customerWho, facts(7))).toBe(true);
    expect(allowsEvent(customer, 'read', 'PrepaymentEvent', customerWho, facts(8))).toBe(false);
    expect(accessibleWhere(customer, 'read', 'Payment')).toEqual({ customer: 7 });
    expect(accessibleWhere(customer, 'create', 'Payment')).toBeNull();
    const manager = buildAbility(DEFAULT_PERMISSIONS[Role.STATION_MANAGER], who);
    expect(allowsEvent(manager, 'read', 'PrepaymentEvent', who, facts(8))).toBe(true);
    expect(allowsEvent(manager, 'read', 'PrepaymentEvent', who, { orgPath: '/1/5/', customerId: 8 })).toBe(false);
    expect(accessibleWhere(manager, 'create', 'Payment')).toEqual({
      customer: { orgUnit: { path: { $like: '/1/4/%' } } },
    });
  });

  it('lets a later inverted rule deny, as CASL does', () => {
    const ability = buildAbility(
      [
        { action: 'read', subject: 'Alarm', scope: PermissionScope.ALL },
        { action: 'read', subject: 'Alarm', scope: PermissionScope.ORG_SUBTREE, inverted: true },
      ],
      who,
    );
    expect(allowsEvent(ability, 'read', 'Alarm', who, { orgPath: '/1/4/2/' })).toBe(false);
    expect(allowsEvent(ability, 'read', 'Alarm', who, { orgPath: '/1/7/' })).toBe(true);
    expect(accessibleWhere(ability, 'read', 'Alarm')).toEqual({ $not: { orgUnit: { path: { $like: '/1/4/%' } } } });
  });
});

describe('sharing grants in the rules', () => {
  const later = new Date(Date.now() + 3_600_000);
  const grant = (over: Partial<GrantScope> = {}): GrantScope => ({
    id: 1,
    path: '/1/5/',
    shares: [{ subject: 'Meter' }, { subject: 'Reading' }, { subject: 'Customer', fields: ['name', 'accountNo'] }],
    expiresAt: later,
    ...over,
  });
  const manager = (grants: GrantScope[]): [ReturnType<typeof buildAbility>, Principal] => {
    const principal: Principal = { ...who, grants };
    return [buildAbility(DEFAULT_PERMISSIONS[Role.STATION_MANAGER], principal), principal];
  };

  it("adds the shared subtree to the user's own, for reading only", () => {
    const [ability, principal] = manager([grant()]);
    const own = { orgUnit: { path: { $like: '/1/4/%' } } };
    const shared = { orgUnit: { path: { $like: '/1/5/%' } } };
    expect(accessibleWhere(ability, 'read', 'Meter')).toEqual({ $or: [own, shared] });
    expect(accessibleWhere(ability, 'read', 'Reading')).toEqual({
      $or: [{ meter: own }, { meter: shared }],
    });
    // Expressed on another table (the reading rule as a condition on meters), the grant keeps its subtree.
    expect(accessibleWhere(ability, 'read', 'Reading', { subject: 'Meter', who: principal })).toEqual({
      $or: [own, shared],
    });
    expect(accessibleWhere(ability, 'update', 'Meter')).toEqual(own);
    expect(accessibleWhere(ability, 'create', 'Reading')).toEqual({ meter: own });
    expect(accessibleWhere(ability, 'read', 'Alarm')).toEqual(own);
  });

  it('gives nothing once expired, even to an ability built before', () => {
    const [ability, principal] = manager([grant({ expiresAt: new Date(Date.now() - 1) })]);
    expect(accessibleWhere(ability, 'read', 'Meter')).toEqual({ orgUnit: { path: { $like: '/1/4/%' } } });
    expect(allowsEvent(ability, 'read', 'Reading', principal, { orgPath: '/1/5/7/' })).toBe(false);
    expect(fieldsVaryByRow(ability, 'Customer')).toBe(false);
  });

  it('admits events from the shared subtree, and only from there', () => {
    const [ability, principal] = manager([grant({ shares: [{ subject: 'Alarm' }] })]);
    expect(allowsEvent(ability, 'read', 'Alarm', principal, { orgPath: '/1/5/7/' })).toBe(true);
    expect(allowsEvent(ability, 'read', 'Alarm', principal, { orgPath: '/1/4/2/' })).toBe(true);
    expect(allowsEvent(ability, 'read', 'Alarm', principal, { orgPath: '/1/6/' })).toBe(false);
    expect(allowsEvent(ability, 'update', 'Alarm', principal, { orgPath: '/1/5/7/' })).toBe(false);
    expect(allowsEvent(ability, 'read', 'Reading', principal, { orgPath: '/1/5/7/' })).toBe(false);
  });

  it('limits a shared subject to the listed fields on shared rows only', () => {
    const [ability, principal] = manager([grant()]);
    expect(limitsFields(ability, 'Customer')).toBe(true);
    expect(fieldsVaryByRow(ability, 'Customer')).toBe(true);
    expect(fieldsVaryByRow(ability, 'Meter')).toBe(false);
    expect(fieldAccess(ability, 'Customer', 'name', principal, '/1/5/9/')).toBe('READABLE');
    expect(fieldAccess(ability, 'Customer', 'phone', principal, '/1/5/9/')).toBe('HIDDEN');
    expect(fieldAccess(ability, 'Customer', 'phone', principal, '/1/4/9/')).toBe('READABLE');
    expect(fieldAccess(ability, 'Customer', 'phone', principal, '/1/6/')).toBe('HIDDEN');
  });

  it("never outranks the role's own denials", () => {
    const principal: Principal = { ...who, grants: [grant({ shares: [{ subject: 'Customer' }] })] };
    const reader = buildAbility(DEFAULT_PERMISSIONS[Role.METER_READER], principal);
    expect(fieldAccess(reader, 'Customer', 'phone', principal, '/1/5/9/')).toBe('MASKED');
    expect(fieldAccess(reader, 'Customer', 'phone', principal)).toBe('MASKED');
    expect(fieldsVaryByRow(reader, 'Customer')).toBe(false);
    const denied = buildAbility(
      [
        { action: 'read', subject: 'Meter', scope: PermissionScope.ORG_SUBTREE },
        { action: 'read', subject: 'Meter', scope: PermissionScope.ALL, inverted: true },
      ],
      { ...who, grants: [grant({ shares: [{ subject: 'Meter' }] })] },
    );
    expect(accessibleWhere(denied, 'read', 'Meter')).toBeNull();
  });

  it('can be set aside for writes', () => {
    const [ability] = manager([grant()]);
    expect(accessibleWhere(withoutGrants(ability), 'read', 'Meter')).toEqual({
      orgUnit: { path: { $like: '/1/4/%' } },
    });
    expect(limitsFields(withoutGrants(ability), 'Customer')).toBe(false);
  });

  it('scopes the grants themselves by the unit they share', () => {
    const [ability] = manager([]);
    expect(accessibleWhere(ability, 'create', 'SharingGrant')).toEqual({ sourceUnit: { path: { $like: '/1/4/%' } } });
    const auditor = buildAbility(DEFAULT_PERMISSIONS[Role.AUDITOR], who);
    expect(accessibleWhere(auditor, 'read', 'SharingGrant')).toEqual({});
    expect(accessibleWhere(auditor, 'create', 'SharingGrant')).toBeNull();
  });
});
