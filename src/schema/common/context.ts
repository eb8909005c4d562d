import type { EntityManager } from '@mikro-orm/postgresql';
import type { SettlementJobs } from '../settlement/settlement-jobs.js';
import type { Access } from '../../auth/access.js';
import type { AuditTrail } from '../../auth/audit/trail.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../shared/logger.js';
import type { Loaders } from './loaders.js';
import type { Events } from '../../shared/events.js';
import type { PersonalDataCipher } from '../../shared/personal-data.js';

/** A collector plugin as the API shows it (filled by the plugin host, which the schema does not import). */
export interface CollectorPluginView {
  id?: string;
  source: string;
  version?: string;
  status: 'ready' | 'failed';
  error?: string;
  description?: {
    displayName: { en: string; zh?: string };
    mode: 'poll' | 'push';
    transport: string;
    capabilities?: { timeSync?: boolean; relayControl?: boolean };
  };
}

export interface SettingsCheck {
  status: 'OK' | 'INVALID_SETTINGS' | 'PLUGIN_MISSING';
  detail?: string;
}

export interface ReadNowValue {
  register: string;
  value?: string;
  quality: 'good' | 'suspect' | 'bad';
  reason?: string;
  measuredAt: Date;
}

export interface CollectionPort {
  plugins(): CollectorPluginView[];
  /** Checks device and point settings against the plugin's schemas; never throws for bad settings. */
  check(pluginId: string, device: Record<string, unknown>, points: Record<string, unknown>[]): Promise<SettingsCheck>;
  /**
   * Reads a meter now, ahead of scheduled reads on its line, and books it as an ON_DEMAND task
   * (who asked); null when the meter is not under collection. A meter that does not answer gives
   * every point as a bad value with the reason (never a throw).
   */
  readNow(meterId: number, requestedBy?: number): Promise<ReadNowValue[] | null>;
  /**
   * Sends a relay command to a meter through its collector plugin, ahead of scheduled reads on its
   * line (prepayment: trip on an exhausted balance, permit to reconnect after a top-up). Never
   * throws for a meter that cannot take it: the outcome says why.
   */
  controlRelay(meterId: number, command: RelayCommand, requestedBy?: number): Promise<RelayOutcome>;
}

/**
 * TRIP opens the meter's relay; PERMIT_CLOSE allows the customer to close it (most prepaid meters
 * reconnect only when the customer presses the button after a top-up).
 */
export type RelayCommand = 'TRIP' | 'PERMIT_CLOSE';

export interface RelayOutcome {
  /**
   * DONE: the meter confirmed; REFUSED: it answered with an error; FAILED: no answer;
   * UNSUPPORTED: its plugin has no relay control; NOT_COLLECTED: the meter is on no channel.
   */
  status: 'DONE' | 'REFUSED' | 'FAILED' | 'UNSUPPORTED' | 'NOT_COLLECTED';
  detail?: string;
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
  settlements: SettlementJobs;
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
