import type { EntityManager } from '@mikro-orm/postgresql';
import type { Access } from '../../auth/access.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../shared/logger.js';
import type { Loaders } from './loaders.js';
import type { Events } from './events.js';

/** What every resolver receives: one forked EntityManager and one set of loaders per request. */
export interface Context {
  config: Config;
  logger: Logger;
  em: EntityManager;
  access: Access;
  loaders: Loaders;
  events: Events;
  requestId: string;
  ip?: string;
  /**
   * WebSocket operations only: false once the session behind the token has ended (expired,
   * revoked, user deactivated). Subscriptions check it before every event.
   */
  sessionValid?: () => Promise<boolean>;
  /** WebSocket operations only: closes the connection (4403) when the session has ended. */
  endConnection?: () => void;
}
