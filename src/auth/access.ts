import type { FilterQuery } from '@mikro-orm/core';
import { forbidden, unauthenticated } from '../shared/errors.js';
import type { User } from '../orm/entities/user.entity.js';
import {
  accessibleWhere,
  allowsEvent,
  fieldAccess,
  fieldsVaryByRow,
  limitsFields,
  withoutGrants,
  type AppAbility,
  type EventFacts,
  type FieldAccess,
  type Principal,
} from './ability.js';
import type { Action, Subject } from './permissions.js';

/**
 * A request's permissions. Row checks always go through `where()` so that they end in SQL;
 * `can()` answers type-level and field-level questions only.
 */
export class Access {
  constructor(
    readonly user: User | undefined,
    readonly ability: AppAbility | undefined,
    private readonly who?: Principal,
  ) {}

  /**
   * The session may only set up a one-time code (its policy asks for one, the user has none yet):
   * the server lets such a request reach `me`, `enrollTotp`, `confirmTotp` and `logout` only.
   */
  enrollmentOnly = false;

  static anonymous(): Access {
    return new Access(undefined, undefined);
  }

  requireUser(): User {
    if (!this.user) throw unauthenticated();
    return this.user;
  }

  private requireAbility(): AppAbility {
    this.requireUser();
    return this.ability!;
  }

  /** Type-level: may the user do `action` on some `subject` at all? Throws FORBIDDEN if not. */
  assert(action: Action, subject: Subject): void {
    if (!this.requireAbility().can(action, subject)) throw forbidden(`Not allowed to ${action} ${subject}`);
  }

  /**
   * The SQL condition that limits `action` on `subject` to permitted rows, or null when no row is
   * permitted. Throws UNAUTHENTICATED without a user.
   */
  where<T extends object>(action: Action, subject: Subject): FilterQuery<T> | null {
    return accessibleWhere<T>(this.requireAbility(), action, subject);
  }

  /**
   * The rows of `as` on which `action` on `subject` is allowed: e.g. `whereOn('create', 'Reading',
   * 'Meter')` is the condition on meters for which the user may create readings.
   */
  whereOn<T extends object>(action: Action, subject: Subject, as: Subject): FilterQuery<T> | null {
    return accessibleWhere<T>(this.requireAbility(), action, subject, { subject: as, who: this.who! });
  }

  /** Like `where` but throws FORBIDDEN when no row at all is permitted. */
  requireWhere<T extends object>(action: Action, subject: Subject): FilterQuery<T> {
    const where = this.where<T>(action, subject);
    if (where === null) throw forbidden(`Not allowed to ${action} ${subject}`);
    return where;
  }

  /** Row rule for the row an event is about, decided in memory (no query per subscriber and event). */
  allowsEvent(action: Action, subject: Subject, facts: EventFacts): boolean {
    if (!this.ability || !this.who) return false;
    return allowsEvent(this.ability, action, subject, this.who, facts);
  }

  /** Type-level check without throwing. */
  can(action: Action, subject: Subject): boolean {
    return this.ability?.can(action, subject) ?? false;
  }

  /**
   * Read access to one field: for the row under `orgPath` when given, else for the type. Callers
   * pass the row's path when `fieldsVaryByRow(subject)`; otherwise the type's answer is the row's.
   */
  fieldAccess(subject: Subject, field: string, orgPath?: string): FieldAccess {
    if (!this.ability || !this.who) return 'HIDDEN';
    return fieldAccess(this.ability, subject, field, this.who, orgPath);
  }

  // Asked for every field of every row: answered once per subject. Rules only ever drop out of an
  // ability (a grant expiring), and a check made when it need not be still answers right.
  private readonly fieldChecks = new Map<Subject, { limits: boolean; varies: boolean }>();

  private fieldCheck(subject: Subject): { limits: boolean; varies: boolean } {
    let check = this.fieldChecks.get(subject);
    if (!check) {
      check = this.ability
        ? { limits: limitsFields(this.ability, subject), varies: fieldsVaryByRow(this.ability, subject) }
        : { limits: false, varies: false };
      this.fieldChecks.set(subject, check);
    }
    return check;
  }

  /** Whether some rule gives or denies only some of `subject`'s fields (then each field is checked). */
  limitsFields(subject: Subject): boolean {
    return this.fieldCheck(subject).limits;
  }

  /** Whether reading `subject`'s fields can depend on the row (e.g. a grant that shares only some fields). */
  fieldsVaryByRow(subject: Subject): boolean {
    return this.fieldCheck(subject).varies;
  }

  /** An API key's channels, when the access was built for one limited to some. */
  get channelIds(): number[] | undefined {
    return this.who?.channels?.ids;
  }

  /** The sharing grants this access was built with (those that reached the user at the time). */
  get grantIds(): number[] {
    return (this.who?.grants ?? []).map((g) => g.id);
  }

  /**
   * The same user with their role's rules only. Writes run with it: rows shared with the user are
   * read-only, so they can be neither changed nor used as the unit, box or customer of a write.
   */
  withoutGrants(): Access {
    if (!this.ability || !this.who?.grants?.length) return this;
    return new Access(this.user, withoutGrants(this.ability), { ...this.who, grants: [] });
  }
}
