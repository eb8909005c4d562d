import { Property, type Opt } from '@mikro-orm/core';

/** Creation and update stamps shared by every archive table. */
export abstract class Timestamped {
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}

/**
 * A row of another entity, known by its key. A relation that would close an import cycle between
 * entity files (a type import is still an import) is typed with it rather than the other class;
 * its mapping names the entity, so the table is the same.
 */
export interface RowRef {
  id: number;
}
