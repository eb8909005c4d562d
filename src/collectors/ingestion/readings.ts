import type { ReadingSource, RegisterCode } from '../../orm/entities/enums.js';

// What passes through ingestion (and the statements it runs with), apart from the pipeline itself,
// so that its steps (store.ts, publish.ts) and the alarms need not import the pipeline.

/** A value on its way into the database, as collectors (and imports) hand it over. */
export interface IncomingReading {
  meterId: number;
  register: `${RegisterCode}`;
  /** Exact decimal string. */
  value: string;
  /** ISO-8601 instant the meter measured (or froze) the value. */
  measuredAt: string;
  source: `${ReadingSource}`;
}

export interface WrittenReading {
  id: string;
  meterId: number;
  quality: 'GOOD' | 'SUSPECT';
  flags: number;
  /** Known for flagged rows only (the ones alarms speak of): fetching it for every row costs throughput. */
  register?: RegisterCode;
}

export interface DroppedReading {
  reading: IncomingReading;
  reason: string;
}

/** The statements the pipeline needs; MikroORM's connection provides them on both databases. */
export interface SqlExecutor {
  execute<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]>;
}
