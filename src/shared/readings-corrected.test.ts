import { describe, expect, it } from 'vitest';
import { createEvents, publishReadingsCorrected, type ReadingsCorrectedEvent } from './events.js';

describe('publishReadingsCorrected', () => {
  it('publishes READINGS_CORRECTED with each (meter, time) once, and nothing for no change', async () => {
    const events = createEvents();
    const received: ReadingsCorrectedEvent[] = [];
    const iterator = events.subscribe('READINGS_CORRECTED')[Symbol.asyncIterator]();
    const next = iterator.next().then((r) => received.push(r.value as ReadingsCorrectedEvent));
    const at = new Date('2026-03-28T23:00:00Z');
    publishReadingsCorrected(events, []);
    publishReadingsCorrected(events, [
      { meterId: 7, measuredAt: at },
      { meterId: 7, measuredAt: new Date(at) },
      { meterId: 8, measuredAt: at },
    ]);
    await next;
    expect(received).toEqual([
      {
        changes: [
          { meterId: 7, measuredAt: '2026-03-28T23:00:00.000Z' },
          { meterId: 8, measuredAt: '2026-03-28T23:00:00.000Z' },
        ],
      },
    ]);
    await iterator.return?.();
  });
});
