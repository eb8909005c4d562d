import { createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { rulesToCondition } from '@casl/ability/extra';
import type { FilterQuery } from '@mikro-orm/core';
import { PermissionScope } from '../orm/entities/enums.js';
import type { Action, PermissionRule, ShareableSubject, Subject } from './permissions.js';

export type AppAbility = MongoAbility<[Action, Subject]>;

/** One subject a sharing grant shares, optionally only some of its fields. */
export interface SharedSubject {
  subject: ShareableSubject;
  /** Only these fields; absent means every field. */
  fields?: string[];
}

/** An active sharing grant as the rules see it: read access to another unit's subtree, until `expiresAt`. */
export interface GrantScope {
  id: number;
  /** Materialised path of the shared subtree's root (the grant's source unit). */
  path: string;
  shares: SharedSubject[];
  expiresAt: Date;
}

/** Who the rules are built for: the facts that scopes turn into SQL. */
export interface Principal {
  /** Materialised path of the user's org unit, e.g. "/1/4/". */
  orgPath: string;
  /** The user: for staff, OWN_ACCOUNT reaches their own rows (their user, their training records). */
  userId?: number;
  customerId?: number;
  /** Meters that have ever measured the customer's service points (OWN_ACCOUNT scope). */
  customerMeterIds?: number[];
  /** Sharing grants that currently reach the user (their unit, an ancestor of it, or the user). */
  grants?: GrantScope[];
  /**
   * An API key limited to some collection channels: meters, their readings and alarms, and the
   * channels themselves are then only those of these channels, whatever the role's scope says.
   */
  channels?: { ids: number[]; meterIds: number[] };
}

// Ids are positive; an `$in` over this never matches, and never degenerates into "match all".
const NOTHING = [0];

/**
 * How a subject's rows reach the org unit that scopes them, as a chain of relations ([] for org
 * units themselves). The one definition behind the SQL conditions and the in-memory checks.
 */
export const ORG_UNIT_VIA: Partial<Record<Subject, readonly string[]>> = {
  OrgUnit: [],
  // An installation belongs to the customer's side, like its service point.
  ServicePoint: ['customer', 'orgUnit'],
  MeterAssignment: ['servicePoint', 'customer', 'orgUnit'],
  Reading: ['meter', 'orgUnit'],
  Alarm: ['orgUnit'],
  Channel: ['orgUnit'],
  MeterBox: ['orgUnit'],
  Meter: ['orgUnit'],
  Customer: ['orgUnit'],
  User: ['orgUnit'],
  // A grant belongs to the unit whose data it shares.
  SharingGrant: ['sourceUnit'],
  SettlementRun: ['orgUnit'],
  // A bill belongs to its customer's unit.
  Bill: ['customer', 'orgUnit'],
  // A rule set belongs to the unit whose subtree it applies to.
  VeeRuleSet: ['orgUnit'],
  // Payments and prepayment's notices belong to their customer's unit.
  Payment: ['customer', 'orgUnit'],
  PrepaymentEvent: ['customer', 'orgUnit'],
  // A work order belongs to the unit responsible for it.
  WorkOrder: ['orgUnit'],
  HazardReport: ['orgUnit'],
  // A training record belongs to the unit of the person trained.
  TrainingRecord: ['user', 'orgUnit'],
  // An assessment (KPIs) is of a unit: as a row it is the org unit assessed. A person's KPIs are
  // checked on the user (whereOn 'User'), who belongs to their unit.
  Assessment: [],
  // A reading route belongs to its station.
  ReadingRoute: ['orgUnit'],
  // A photo belongs to the unit of what it documents (else its uploader's), set on upload.
  FieldPhoto: ['orgUnit'],
  // A position belongs to the unit of the person it locates.
  WorkerPosition: ['user', 'orgUnit'],
};

/** "Rows of `subject` under the unit with materialised path `path`", as a MikroORM condition. */
function subtreeCondition(subject: Subject, path: string): Record<string, unknown> {
  const via = ORG_UNIT_VIA[subject];
  if (!via) return { id: { $in: NOTHING } };
  return via.reduceRight<Record<string, unknown>>((inner, relation) => ({ [relation]: inner }), {
    path: { $like: `${path}%` },
  });
}

/**
 * Turns a scope into a MikroORM condition for one subject. The conditions are SQL-only: they are
 * never evaluated in memory, because every row a user reads or changes is loaded through them.
 * `path` is the subtree of ORG_SUBTREE: the user's own unit, or the shared unit of a grant.
 */
function scopeCondition(
  subject: Subject,
  scope: PermissionScope,
  who: Principal,
  path: string = who.orgPath,
): Record<string, unknown> | undefined {
  if (scope === PermissionScope.ALL) return undefined;
  if (scope === PermissionScope.ORG_SUBTREE) return subtreeCondition(subject, path);
  // OWN_ACCOUNT
  const customerId = who.customerId ?? 0;
  switch (subject) {
    case 'Customer':
      return { id: customerId };
    case 'ServicePoint':
      return { customer: customerId };
    case 'MeterAssignment':
      return { servicePoint: { customer: customerId } };
    case 'Bill':
    case 'Payment':
    case 'PrepaymentEvent':
      return { customer: customerId };
    // A staff member's own rows: their user, their training records.
    case 'User':
      return { id: who.userId ?? NOTHING[0] };
    case 'TrainingRecord':
      return { user: who.userId ?? NOTHING[0] };
    default:
      return meterSetCondition(subject, who.customerMeterIds ?? []) ?? { id: { $in: NOTHING } };
  }
}

/** Rows of a set of meters (a customer's, an API key's channels'): meters, their readings and alarms. */
function meterSetCondition(subject: Subject, meterIds: number[]): Record<string, unknown> | undefined {
  const meters = meterIds.length ? meterIds : NOTHING;
  switch (subject) {
    case 'Meter':
      return { id: { $in: meters } };
    case 'Reading':
    case 'Alarm':
      return { meter: { $in: meters } };
    default:
      return undefined;
  }
}

/** The limit an API key's channels put on a subject; undefined for subjects they do not limit. */
function channelCondition(subject: Subject, who: Principal): Record<string, unknown> | undefined {
  if (!who.channels) return undefined;
  if (subject === 'Channel') return { id: { $in: who.channels.ids.length ? who.channels.ids : NOTHING } };
  return meterSetCondition(subject, who.channels.meterIds);
}

/** A scope's condition, narrowed to the API key's channels for rules that allow (not those that deny). */
function allowedWithin(
  subject: Subject,
  scope: PermissionScope,
  who: Principal,
  inverted: boolean,
  path?: string,
): Record<string, unknown> | undefined {
  const base = scopeCondition(subject, scope, who, path ?? who.orgPath);
  const channels = inverted ? undefined : channelCondition(subject, who);
  if (!channels) return base;
  return base ? { $and: [base, channels] } : channels;
}

/**
 * A raw rule that remembers its scope, so that it can also be expressed on a related subject or
 * checked against an event. Rules from a sharing grant carry the shared subtree and the expiry.
 */
type ScopedRawRule = RawRuleOf<AppAbility> & {
  scope: PermissionScope;
  /** ORG_SUBTREE of a grant: the shared subtree instead of the user's own. */
  path?: string;
  grantId?: number;
  /** Epoch milliseconds; the rule stops matching then, also in an ability built before. */
  expiresAt?: number;
};

type AnyRule = ReturnType<AppAbility['rulesFor']>[number];
const originOf = (rule: AnyRule) => rule.origin as ScopedRawRule;
/** A rule is live until its grant expires (role rules always are). */
const live = (rule: AnyRule, now = Date.now()) => {
  const expiresAt = originOf(rule).expiresAt;
  return expiresAt === undefined || expiresAt > now;
};

/**
 * Builds the user's ability: the rules of their role, and read rules for each sharing grant that
 * reaches them, limited to the shared subtree (and fields). Grant rules come first, so that in
 * CASL's order (later rules take precedence) every rule of the role outranks them: a role that is
 * denied a field, or a subject, stays denied it on shared rows too. Grants only ever add `read`.
 */
export function buildAbility(rules: PermissionRule[], who: Principal): AppAbility {
  const granted: ScopedRawRule[] = (who.grants ?? []).flatMap((grant) =>
    grant.shares.map((share) => ({
      action: 'read' as const,
      subject: share.subject,
      fields: share.fields?.length ? share.fields : undefined,
      inverted: false,
      conditions: allowedWithin(share.subject, PermissionScope.ORG_SUBTREE, who, false, grant.path),
      scope: PermissionScope.ORG_SUBTREE,
      path: grant.path,
      grantId: grant.id,
      expiresAt: grant.expiresAt.getTime(),
    })),
  );
  const own: ScopedRawRule[] = rules.map((rule) => ({
    action: rule.action,
    subject: rule.subject,
    fields: rule.fields?.length ? rule.fields : undefined,
    inverted: rule.inverted ?? false,
    conditions: allowedWithin(rule.subject, rule.scope, who, rule.inverted ?? false),
    scope: rule.scope,
  }));
  return createMongoAbility<[Action, Subject]>([...granted, ...own]);
}

/** The same ability without the rules that sharing grants added: what the user's role alone allows. */
export function withoutGrants(ability: AppAbility): AppAbility {
  return createMongoAbility<[Action, Subject]>(
    (ability.rules as ScopedRawRule[]).filter((rule) => rule.grantId === undefined),
  );
}

/** What an event tells about the row it is about: enough to apply row rules without a query. */
export interface EventFacts {
  /** Materialised path of the row's org unit (the meter's unit for readings). */
  orgPath: string;
  meterId?: number;
  /** The customer the row is about (an own-account rule reaches it when it is the user's). */
  customerId?: number;
}

/** Whether a rule's scope reaches a row with these facts (in memory, like the SQL condition). */
function reaches(rule: AnyRule, who: Principal, facts: EventFacts, ownAccount: boolean): boolean {
  const origin = originOf(rule);
  switch (origin.scope) {
    case PermissionScope.ALL:
      return true;
    case PermissionScope.ORG_SUBTREE:
      return facts.orgPath.startsWith(origin.path ?? who.orgPath);
    default:
      return ownAccount;
  }
}

/**
 * Whether `action` on `subject` is allowed for the row an event is about, decided in memory with
 * the same rules and scopes as the SQL conditions (CASL order: the first matching rule decides,
 * an inverted rule denies). For subjects scoped by org path or meter (readings, alarms). A grant's
 * rules stop matching when it expires, without rebuilding the ability.
 */
export function allowsEvent(
  ability: AppAbility,
  action: Action,
  subject: Subject,
  who: Principal,
  facts: EventFacts,
): boolean {
  const now = Date.now();
  const own =
    (facts.meterId !== undefined && (who.customerMeterIds ?? []).includes(facts.meterId)) ||
    (facts.customerId !== undefined && facts.customerId === who.customerId);
  // An API key limited to channels hears only about their meters.
  if (who.channels && (facts.meterId === undefined || !who.channels.meterIds.includes(facts.meterId))) return false;
  for (const rule of ability.rulesFor(action, subject)) {
    if (!live(rule, now)) continue;
    if (reaches(rule, who, facts, own)) return !rule.inverted;
  }
  return false;
}

/**
 * How one field of a row may be read: READABLE; MASKED when a rule denies it (personal data is
 * then shown masked, as before); HIDDEN when no rule gives it at all (a grant that shares other
 * fields of the row only).
 */
export type FieldAccess = 'READABLE' | 'MASKED' | 'HIDDEN';

/**
 * Read access to `field` of `subject`. With `orgPath`, for the row under that unit, in CASL order
 * with the rules' scopes (as `allowsEvent`). Without it, type-level, as CASL answers for a subject
 * type: a rule with conditions may allow, but cannot deny. Own-account rules reach a customer's
 * rows only, and a customer sees no others, so for a customer they reach every visible row.
 */
export function fieldAccess(
  ability: AppAbility,
  subject: Subject,
  field: string,
  who: Principal,
  orgPath?: string,
): FieldAccess {
  const now = Date.now();
  for (const rule of ability.rulesFor('read', subject, field)) {
    if (!live(rule, now)) continue;
    const matches =
      orgPath === undefined
        ? originOf(rule).scope === PermissionScope.ALL || !rule.inverted
        : reaches(rule, who, { orgPath }, who.customerId !== undefined);
    if (matches) return rule.inverted ? 'MASKED' : 'READABLE';
  }
  return 'HIDDEN';
}

/** The live read rules of `subject` that name fields (to give only those, or to deny them). */
function fieldRules(ability: AppAbility, subject: Subject): AnyRule[] {
  const now = Date.now();
  return ability.possibleRulesFor('read', subject).filter((rule) => rule.fields !== undefined && live(rule, now));
}

/** Whether any rule gives or denies only some of `subject`'s fields: then its fields are checked one by one. */
export function limitsFields(ability: AppAbility, subject: Subject): boolean {
  return fieldRules(ability, subject).length > 0;
}

/**
 * Whether reading `subject`'s fields can depend on the row: some rule gives only some fields
 * (e.g. a grant sharing customers without their personal data), or denies fields in part of the
 * tree only. When not (a role denied personal data everywhere), the type-level answer holds for
 * every row the user can see, and no row needs to be looked at.
 */
export function fieldsVaryByRow(ability: AppAbility, subject: Subject): boolean {
  return fieldRules(ability, subject).some((rule) => !rule.inverted || originOf(rule).scope !== PermissionScope.ALL);
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
  const conditionOf = (rule: AnyRule) => {
    const origin = originOf(rule);
    return as ? allowedWithin(as.subject, origin.scope, as.who, rule.inverted ?? false, origin.path) : rule.conditions;
  };
  const now = Date.now();
  const result = rulesToCondition(
    ability.rulesFor(action, subject).filter((rule) => live(rule, now)),
    (rule) => (rule.inverted ? { $not: conditionOf(rule) } : conditionOf(rule)) as Record<string, unknown>,
    {
      and: (conditions) => (conditions.length === 1 ? conditions[0] : { $and: conditions }),
      or: (conditions) => (conditions.length === 1 ? conditions[0] : { $or: conditions }),
      empty: () => ({}),
    },
  );
  return result as FilterQuery<T> | null;
}
