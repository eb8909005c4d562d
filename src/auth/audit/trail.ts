import { wrap, type EventSubscriber, type FlushEventArgs } from '@mikro-orm/core';
import { redact } from './redact.js';

/** One row changed by a mutation, as the unit of work wrote it. */
export interface Change {
  entity: string;
  id: unknown;
  op: 'create' | 'update' | 'delete';
  before?: unknown;
  after?: unknown;
}

/** Who an audited event is about or by; null for anonymous requests. */
export interface Actor {
  id: number;
  username: string;
  role: string;
}

export const actorOf = (user: Actor | undefined | null): Actor | null =>
  user ? { id: user.id, username: user.username, role: user.role } : null;

export interface AuditEntry {
  action: string;
  outcome: string;
  actor: Actor | null;
  details: Record<string, unknown>;
}

// Tokens are security events of their own (login, refresh reuse); the audit log is never audited.
const NOT_CAPTURED = new Set(['RefreshToken', 'AuditRecord']);
/** A bulk mutation keeps this many changes in its record, and the count of the rest. */
export const MAX_CHANGES = 50;

/**
 * The audit trail of one request: it listens to the request's unit of work (registered on the
 * request's EntityManager, so transactions forked from it are heard too) and collects the rows each
 * flush wrote, with their values before and after; the server turns them into records once the
 * response is ready. Writes made with native queries are not seen here; the mutation's input,
 * which is always recorded, describes those.
 */
export class AuditTrail implements EventSubscriber {
  private changes: Change[] = [];
  /** Where the mutation being resolved started, and how many of its changes were not kept. */
  private start = 0;
  private omitted = 0;
  private notes: Record<string, unknown> = {};
  readonly entries: AuditEntry[] = [];

  constructor(
    readonly ip?: string,
    readonly requestId?: string,
  ) {}

  afterFlush({ uow }: FlushEventArgs): void {
    for (const cs of uow.getChangeSets()) {
      if (NOT_CAPTURED.has(cs.name)) continue;
      // A bulk mutation (an archive import) keeps its first changes; the rest are counted.
      if (this.changes.length - this.start >= MAX_CHANGES) {
        this.omitted++;
        continue;
      }
      const op = cs.type.startsWith('create') ? 'create' : cs.type.startsWith('delete') ? 'delete' : 'update';
      const before = cs.originalEntity as Record<string, unknown> | undefined;
      const changed = Object.keys(cs.payload ?? {});
      this.changes.push({
        entity: cs.name,
        id: redact(wrap(cs.entity, true).getPrimaryKey()),
        op,
        before:
          op === 'update' && before
            ? redact(Object.fromEntries(changed.map((k) => [k, before[k]])))
            : op === 'delete'
              ? redact(before ?? null)
              : undefined,
        after: op === 'delete' ? undefined : redact(cs.payload),
      });
    }
  }

  /** Something a service wants the current mutation's record to hold (e.g. rules before a change). */
  note(key: string, value: unknown): void {
    this.notes[key] = redact(value);
  }

  /** Called when a mutation field starts resolving (mutation fields run one after another). */
  mark(): number {
    this.start = this.changes.length;
    this.omitted = 0;
    return this.start;
  }

  /** The changes since `mark` and the notes made meanwhile (which are then cleared). */
  since(mark: number): { changes: Change[]; changesOmitted?: number; notes?: Record<string, unknown> } {
    const notes = Object.keys(this.notes).length ? this.notes : undefined;
    this.notes = {};
    return { changes: this.changes.slice(mark), changesOmitted: this.omitted || undefined, notes };
  }

  record(entry: AuditEntry): void {
    this.entries.push(entry);
  }
}
