import { OrgUnit } from '../../orm/entities/index.js';
import type { Context } from './context.js';
import { localId } from './local-id.js';

/** Escapes LIKE wildcards in user text (used with `escape '\'`, PostgreSQL's default). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The filter "in the subtree of unit `globalId`" for rows that reach their org unit through
 * `through` (e.g. ['orgUnit'] for meters, ['meter', 'orgUnit'] for readings, [] for org units).
 * An unknown unit matches nothing. One indexed prefix match on the materialised path.
 */
export async function subtreeCondition(
  ctx: Context,
  globalId: string,
  path: (string | number)[],
  through: string[],
): Promise<Record<string, unknown>> {
  const root = await ctx.em.findOne(OrgUnit, { id: localId(globalId, 'OrgUnit', path) });
  const onUnit = root ? { path: { $like: `${escapeLike(root.path)}%` } } : { id: 0 };
  return through.reduceRight<Record<string, unknown>>((inner, relation) => ({ [relation]: inner }), onUnit);
}
