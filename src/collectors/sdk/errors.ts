/**
 * The SDK's error taxonomy (since 1.3): what kind of failure a plugin's error is, so that the host
 * knows whether trying again can help.
 */

/**
 * What kind of failure an error is, so that the host knows whether trying again can help (since
 * 1.3). Retriable kinds, tried again after a pause that grows with each failure:
 * - `unreachable`: the device or its line did not answer at all (connection refused or lost, no
 *   port, nothing on the line). A throw that is not a {@link CollectorError} counts as this one, as
 *   it did before 1.3;
 * - `timeout`: the device was reached but did not finish in time;
 * - `busy`: the device or its line is taken for now (a port locked by another program, a gateway
 *   answering "busy").
 *
 * Permanent kinds, which only a change of settings or software mends: the host does not try the
 * device again until its settings change (or, at the latest, after a long pause), and shows the
 * reason to operators as it is:
 * - `misconfigured`: the settings cannot work (a wrong address format the schema could not catch,
 *   a serial line open with other settings, credentials refused);
 * - `unsupported`: the device or plugin cannot do what was asked (a function the meter model lacks).
 */
export const COLLECTOR_ERROR_KINDS = ['unreachable', 'timeout', 'busy', 'misconfigured', 'unsupported'] as const;
/** One of {@link COLLECTOR_ERROR_KINDS}. */
export type CollectorErrorKind = (typeof COLLECTOR_ERROR_KINDS)[number];

/** The kinds the host tries again after a pause (see {@link COLLECTOR_ERROR_KINDS}). */
export const RETRIABLE_ERROR_KINDS: readonly CollectorErrorKind[] = Object.freeze(['unreachable', 'timeout', 'busy']);

/**
 * An error a plugin throws (rejects with) to say what kind of failure it is (since 1.3). The
 * message is shown to operators: say what failed and where ("cannot open /dev/ttyUSB0: no such
 * file"), never secrets. Recognised by its shape (`name` and `kind`), not by `instanceof`, so that
 * it survives a copy of the SDK per plugin and the boundary of a worker thread.
 */
export class CollectorError extends Error {
  /** Always `CollectorError`: with `kind`, what tells such an error apart (see {@link isCollectorError}). */
  override readonly name = 'CollectorError';

  constructor(
    /** What kind of failure this is; decides whether the host tries again. */
    readonly kind: CollectorErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** True when trying again later can help (`unreachable`, `timeout`, `busy`). */
  get retriable(): boolean {
    return RETRIABLE_ERROR_KINDS.includes(this.kind);
  }
}

/** True when `error` is a {@link CollectorError}, from this copy of the SDK or any other. */
export function isCollectorError(error: unknown): error is CollectorError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; kind?: unknown };
  return e.name === 'CollectorError' && (COLLECTOR_ERROR_KINDS as readonly unknown[]).includes(e.kind);
}

/** The kind of any thrown value: a {@link CollectorError}'s own, `unreachable` for anything else. */
export function errorKind(error: unknown): CollectorErrorKind {
  return isCollectorError(error) ? error.kind : 'unreachable';
}

/** True when the host tries again after `error` (see {@link RETRIABLE_ERROR_KINDS}). */
export function isRetriable(error: unknown): boolean {
  return RETRIABLE_ERROR_KINDS.includes(errorKind(error));
}
