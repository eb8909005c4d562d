import type { EventFacts } from '../../auth/ability.js';
import type { Subject } from '../../auth/permissions.js';
import type { Context } from './context.js';
import { subtreePath } from './loaders.js';

/**
 * Whether the session behind a subscription is still valid (not expired, revoked or deactivated).
 * When it is not, the connection is closed (4403) and the event is not delivered. When it is, the
 * subscriber's permissions are brought up to date (at most SESSION_RECHECK_MS old): a sharing
 * grant revoked since the subscription started stops its deliveries within that bound, an expired
 * one at once.
 */
export async function sessionOpen(ctx: Context): Promise<boolean> {
  if (ctx.sessionValid && !(await ctx.sessionValid())) {
    ctx.endConnection?.();
    return false;
  }
  if (ctx.renewAccess) ctx.access = await ctx.renewAccess();
  return true;
}

/**
 * Whether a subscriber receives an event about one row: the session is open, the event matches the
 * subscription's own arguments (`matches`), the row lies under the optional subtree filter, and the
 * subscriber's row rules allow it. Decided from the event itself: no query per subscriber and event.
 */
export async function subscriberMayReceive(
  ctx: Context,
  subject: Subject,
  facts: EventFacts,
  subtree?: { id: string; path: (string | number)[] },
  matches: () => boolean = () => true,
): Promise<boolean> {
  if (!(await sessionOpen(ctx))) return false;
  if (!matches()) return false;
  if (subtree) {
    const rootPath = await subtreePath(ctx, subtree.id, subtree.path);
    if (!rootPath || !facts.orgPath.startsWith(rootPath)) return false;
  }
  return ctx.access.allowsEvent('read', subject, facts);
}
