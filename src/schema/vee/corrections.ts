import type { EntityManager } from '@mikro-orm/postgresql';
import { publishReadingsCorrected, type Events, type ReadingCorrection } from '../../shared/events.js';

export type { ReadingCorrection };

/**
 * The recompute hook: called after readings changed value (an edit, an estimation, a late actual
 * value replacing an estimate), with the changed (meter, midnight) pairs. It publishes
 * READINGS_CORRECTED with each pair once (nothing for none); settlement subscribes to recompute
 * draft bills and re-bill. `em` is the EntityManager of the change, for work that must see it.
 */
export async function readingsCorrected(
  _em: EntityManager,
  changes: readonly { meterId: number; measuredAt: Date }[],
  events: Events,
): Promise<ReadingCorrection[]> {
  return Promise.resolve(publishReadingsCorrected(events, changes));
}
