import type { EntityManager } from '@mikro-orm/postgresql';
import type { CollectionPort } from '../../collectors/index.js';
import type { Access } from '../../auth/access.js';
import type { AuditTrail } from '../../auth/audit/trail.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../shared/logger.js';
import type { Loaders } from './loaders.js';
import type { Events } from '../../shared/events.js';
import type { PersonalDataCipher } from '../../shared/personal-data.js';

/**
 * Starts settlement runs in the background (the server's jobs, src/jobs/): a run outlives the
 * request that started it. The API only asks; it does not import the jobs.
 */
export interface SettlementRunner {
  /** Settles `customerIds` for the run, which is stored as RUNNING; returns at once. */
  start(runId: number, customerIds: readonly number[]): void;
}

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
   * HTTP requests only: the audit trail the server turns into records (mutations, security events).
   * Mutations are not accepted over WebSocket.
   */
  audit?: AuditTrail;
  /** Per-operation memo (e.g. a subscription's filter arguments resolved once). */
  memo: Map<string, Promise<unknown>>;
  /** Port to the collection side: the state of the loaded collector plugins. */
  collection: CollectionPort;
  /** The server's background settlement runs. */
  settlements: SettlementRunner;
  /** Seals and opens customers' personal data (phone, ID number). */
  personalData: PersonalDataCipher;
  /**
   * WebSocket operations only: false once the session behind the token has ended (expired,
   * revoked, user deactivated). Subscriptions check it before every event.
   */
  sessionValid?: () => Promise<boolean>;
  /**
   * WebSocket operations only: the caller's permissions, rebuilt every few seconds, so that a
   * running subscription follows grants revoked or given since it started (and changed rules).
   */
  renewAccess?: () => Promise<Access>;
  /** WebSocket operations only: closes the connection (4403) when the session has ended. */
  endConnection?: () => void;
}
