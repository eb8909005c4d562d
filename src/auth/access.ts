import type { FilterQuery } from '@mikro-orm/core';
import { forbidden, unauthenticated } from '../shared/errors.js';
import type { User } from '../orm/entities/user.entity.js';
import { accessibleWhere, allowsEvent, type AppAbility, type EventFacts, type Principal } from './ability.js';
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

  /** Field-level read check, e.g. personal data on Customer. */
  canReadField(subject: Subject, field: string): boolean {
    return this.ability?.can('read', subject, field) ?? false;
  }
}
