import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * An append-only journal of accepted batches, so that "accepted" means "on disk": a batch is
 * acknowledged only after its line is written and fsynced. Segments are deleted once every batch in
 * them is in the database. After a crash or restart, `replay` returns what was not yet written;
 * writing it again is harmless because the database ignores duplicates.
 */
export class Journal<T> {
  private segment = 0;
  private fd?: number;
  private linesInSegment = 0;
  /** Per segment: batches appended and batches confirmed written. */
  private counts = new Map<number, { appended: number; written: number; closed: boolean }>();

  constructor(
    private readonly dir: string,
    private readonly maxLinesPerSegment = 1000,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private file(segment: number): string {
    return join(this.dir, `${String(segment).padStart(10, '0')}.jsonl`);
  }

  /** Batches left by an earlier run, oldest first, each with the segment it belongs to. */
  replay(): { segment: number; batch: T[] }[] {
    const segments = readdirSync(this.dir)
      .filter((f) => /^\d{10}\.jsonl$/.test(f))
      .map((f) => Number(f.slice(0, 10)))
      .sort((a, b) => a - b);
    const batches: { segment: number; batch: T[] }[] = [];
    for (const segment of segments) {
      const lines = readFileSync(this.file(segment), 'utf8').split('\n');
      let appended = 0;
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          batches.push({ segment, batch: JSON.parse(line) as T[] });
          appended++;
        } catch {
          // A torn last line from a crash mid-write was never acknowledged: skip it.
        }
      }
      this.counts.set(segment, { appended, written: 0, closed: true });
      this.segment = Math.max(this.segment, segment + 1);
      if (appended === 0) this.release(segment);
    }
    return batches;
  }

  /** Appends one batch durably; returns the segment to confirm later. */
  append(batch: T[]): number {
    if (this.fd === undefined || this.linesInSegment >= this.maxLinesPerSegment) this.rotate();
    const line = `${JSON.stringify(batch)}\n`;
    writeSync(this.fd!, line);
    fsyncSync(this.fd!);
    this.linesInSegment++;
    this.counts.get(this.segment)!.appended++;
    return this.segment;
  }

  private rotate(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      const current = this.counts.get(this.segment)!;
      current.closed = true;
      if (current.written >= current.appended) this.release(this.segment);
      this.segment++;
    }
    this.fd = openSync(this.file(this.segment), 'a');
    this.linesInSegment = 0;
    this.counts.set(this.segment, { appended: 0, written: 0, closed: false });
  }

  /** Confirms that one batch of `segment` is in the database. */
  written(segment: number): void {
    const counts = this.counts.get(segment);
    if (!counts) return;
    counts.written++;
    if (counts.closed && counts.written >= counts.appended) this.release(segment);
  }

  private release(segment: number): void {
    this.counts.delete(segment);
    const file = this.file(segment);
    if (existsSync(file)) unlinkSync(file);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    const current = this.counts.get(this.segment);
    if (current) {
      current.closed = true;
      if (current.written >= current.appended) this.release(this.segment);
    }
  }
}
