/**
 * One holder at a time per key: devices that share a serial line or a gateway socket are accessed
 * strictly one after another, in arrival order, except that urgent tasks (an on-demand read)
 * go to the front of the waiting line.
 */
export class KeyedMutex {
  private lines = new Map<string, { busy: boolean; waiting: (() => void)[] }>();

  async run<T>(key: string, task: () => Promise<T>, options: { urgent?: boolean } = {}): Promise<T> {
    let line = this.lines.get(key);
    if (!line) {
      line = { busy: false, waiting: [] };
      this.lines.set(key, line);
    }
    if (line.busy) {
      const current = line;
      await new Promise<void>((resolve) =>
        options.urgent ? current.waiting.unshift(resolve) : current.waiting.push(resolve),
      );
    }
    line.busy = true;
    try {
      return await task();
    } finally {
      const next = line.waiting.shift();
      if (next) next();
      else {
        line.busy = false;
        this.lines.delete(key);
      }
    }
  }
}
