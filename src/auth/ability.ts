import { createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { rulesToCondition } from '@casl/ability/extra';
import type { FilterQuery } from '@mikro-orm/core';
import { PermissionScope } from '../orm/entities/enums.js';
import type { Action, PermissionRule, Subject } from './permissions.js';

export type AppAbility = MongoAbility<[Action, Subject]>;

/** Who the rules are built for: the facts that scopes turn into SQL. */
export interface Principal {
  /** Materialised path of the user's org unit, e.g. "/1/4/". */
  orgPath: string;
  customerId?: number;
  /** Meters that have ever measured the customer's service points (OWN_ACCOUNT scope). */
  customerMeterIds?: number[];
}

// Ids are positive; an `$in` over this never matches, and never degenerates into "match all".
const NOTHING = [0];

/**
 * Turns a scope into a MikroORM condition for one subject. The conditions are SQL-only: they are
 * never evaluated in memory, because every row a user reads or changes is loaded through them.
 */
function scopeCondition(subject: Subject, scope: PermissionScope, who: Principal): Record<string, unknown> | undefined {
  if (scope === PermissionScope.ALL) return undefined;
  if (scope === PermissionScope.ORG_SUBTREE) {
    const inSubtree = { path: { $like: `${who.orgPath}%` } };
    switch (subject) {
      case 'OrgUnit':
        return inSubtree;
      case 'ServicePoint':
        return { customer: { orgUnit: inSubtree } };
      case 'MeterAssignment':
        // An installation belongs to the customer's side, like its service point.
        return { servicePoint: { customer: { orgUnit: inSubtree } } };
      case 'Reading':
        return { meter: { orgUnit: inSubtree } };
      case 'Alarm':
      case 'Channel':
      case 'MeterBox':
      case 'Meter':
      case 'Customer':
      case 'User':
        return { orgUnit: inSubtree };
      default:
        return { id: { $in: NOTHING } };
    }
  }
  // OWN_ACCOUNT
  const customerId = who.customerId ?? 0;
  const meters = who.customerMeterIds?.length ? who.customerMeterIds : NOTHING;
  switch (subject) {
    case 'Customer':
      return { id: customerId };
    case 'ServicePoint':
      return { customer: customerId };
    case 'MeterAssignment':
      return { servicePoint: { customer: customerId } };
    case 'Meter':
      return { id: { $in: meters } };
    case 'Reading':
    case 'Alarm':
      return { meter: { $in: meters } };
    default:
      return { id: { $in: NOTHING } };
  }
}

/** A raw rule that remembers its scope, so that it can also be expressed on a related subject. */
type ScopedRawRule = RawRuleOf<AppAbility> & { scope: PermissionScope };

export function buildAbility(rules: PermissionRule[], who: Principal): AppAbility {
  const raw: ScopedRawRule[] = rules.map((rule) => ({
    action: rule.action,
    subject: rule.subject,
    fields: rule.fields?.length ? rule.fields : undefined,
    inverted: rule.inverted ?? false,
    conditions: scopeCondition(rule.subject, rule.scope, who),
    scope: rule.scope,
  }));
  return createMongoAbility<[Action, Subject]>(raw);
}

/** What an event tells about the row it is about: enough to apply row rules without a query. */
export interface EventFacts {
  /** Materialised path of the row's org unit (the meter's unit for readings). */
  orgPath: string;
  meterId?: number;
}

/**
 * Whether `action` on `subject` is allowed for the row an event is about, decided in memory with
 * the same rules and scopes as the SQL conditions (CASL order: the first matching rule decides,
 * an inverted rule denies). For subjects scoped by org path or meter (readings, alarms).
 */
export function allowsEvent(
  ability: AppAbility,
  action: Action,
  subject: Subject,
  who: Principal,
  facts: EventFacts,
): boolean {
  for (const rule of ability.rulesFor(action, subject)) {
    const scope = (rule.origin as ScopedRawRule).scope;
    const matches =
      scope === PermissionScope.ALL ||
      (scope === PermissionScope.ORG_SUBTREE && facts.orgPath.startsWith(who.orgPath)) ||
      (scope === PermissionScope.OWN_ACCOUNT &&
        facts.meterId !== undefined &&
        (who.customerMeterIds ?? []).includes(facts.meterId));
    if (matches) return !rule.inverted;
  }
  return false;
}

/**
 * The SQL condition under which `action` on `subject` is allowed, for MikroORM's `where`.
 * Returns `null` when nothing is allowed (callers answer empty without querying) and `{}` when
 * everything is.
 */
export function accessibleWhere<T extends object>(
  ability: AppAbility,
  action: Action,
  subject: Subject,
  as?: { subject: Subject; who: Principal },
): FilterQuery<T> | null {
  // With `as`, the rules for `subject` are expressed on another table: e.g. "may create readings"
  // as a condition on meters, to check the meter a new reading is for.
  const conditionOf = (rule: { origin: unknown; conditions?: unknown }) =>
    as ? scopeCondition(as.subject, (rule.origin as ScopedRawRule).scope, as.who) : rule.conditions;
  const result = rulesToCondition(
    ability.rulesFor(action, subject),
    (rule) => (rule.inverted ? { $not: conditionOf(rule) } : conditionOf(rule)) as Record<string, unknown>,
    {
      and: (conditions) => (conditions.length === 1 ? conditions[0] : { $and: conditions }),
      or: (conditions) => (conditions.length === 1 ? conditions[0] : { $or: conditions }),
      empty: () => ({}),
    },
  );
  return result as FilterQuery<T> | null;
}
