import type { CollectionStatus, RelayOutcomeStatus } from '../orm/entities/enums.js';
import type { CollectorDescription, Quality, RelayCommand as DeviceRelayCommand } from './sdk/index.js';

// The port between the API and collection, defined here, on the side that implements it
// (createCollection in collection.ts). The API holds it as `Context.collection`.

/** A collector plugin as the plugin host reports it, loaded or failed; admins see it in the API. */
export interface CollectorPluginView {
  /** Missing when the plugin failed before declaring one. */
  id?: string;
  /** "builtin", or the package name and version it came from. */
  source: string;
  version?: string;
  status: 'ready' | 'failed';
  /** Why it failed. */
  error?: string;
  description?: CollectorDescription;
}

/** Whether device and point settings suit a plugin (a channel's or a meter's collection). */
export interface SettingsCheck {
  status: `${CollectionStatus}`;
  detail?: string;
}

/** One register read on demand: a failed point is a bad value with the reason, never a throw. */
export interface ReadNowValue {
  register: string;
  value?: string;
  quality: Quality;
  reason?: string;
  measuredAt: Date;
}

/**
 * The relay commands the API sends: TRIP opens the meter's relay; PERMIT_CLOSE allows the customer
 * to close it (most prepaid meters reconnect only when the customer presses the button after a
 * top-up). The SDK names more, which plugins map but the API does not send.
 */
export type RelayCommand = Extract<DeviceRelayCommand, 'TRIP' | 'PERMIT_CLOSE'>;

export interface RelayOutcome {
  /**
   * DONE: the meter confirmed; REFUSED: it answered with an error; FAILED: no answer;
   * UNSUPPORTED: its plugin has no relay control; NOT_COLLECTED: the meter is on no channel.
   * (The stored outcome of a prepayment command has PENDING besides, while it is being sent.)
   */
  status: `${Exclude<RelayOutcomeStatus, RelayOutcomeStatus.PENDING>}`;
  detail?: string;
}

export interface CollectionPort {
  /** The configured plugins, loaded or failed. */
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
