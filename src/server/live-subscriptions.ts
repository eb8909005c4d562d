/**
 * The subscriptions running over WebSocket, by operation id: one is counted from the moment its
 * event stream is set up (graphql-ws `onOperation`) until it ends (`onComplete`: completed by
 * either side, failed, or its socket closed). Operators read the count; a client that must not
 * miss an event (a test, a tool) can wait until its operation is listening before causing one.
 */
export class LiveSubscriptions {
  // Operation ids are unique per connection only: two connections may use the same one.
  private readonly ids = new Map<string, number>();
  private total = 0;

  /** Subscriptions running now. */
  get size(): number {
    return this.total;
  }

  /** Whether a subscription with this operation id is running (on any connection). */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  started(id: string): void {
    this.ids.set(id, (this.ids.get(id) ?? 0) + 1);
    this.total++;
  }

  ended(id: string): void {
    const n = this.ids.get(id);
    if (n === undefined) return;
    if (n > 1) this.ids.set(id, n - 1);
    else this.ids.delete(id);
    this.total--;
  }
}
