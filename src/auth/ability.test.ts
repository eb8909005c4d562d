import { describe, expect, it } from 'vitest';
import { PermissionScope, Role } from '../orm/entities/enums.js';
import { accessibleWhere, allowsEvent, buildAbility } from './ability.js';
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
