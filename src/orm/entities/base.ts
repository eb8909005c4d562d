import { Property, type Opt } from '@mikro-orm/core';

/** Creation and update stamps shared by every archive table. */
export abstract class Timestamped {
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
