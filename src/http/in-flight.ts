/**
 * Requests the server has accepted and not yet finished answering, and the
 * draining switch graceful shutdown flips: once draining, new requests are
 * refused and `whenIdle` tells when the accepted ones are done.
 */
export class InFlightRequests {
  private count = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.count;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  startDraining(): void {
    this.draining = true;
  }

  /** Counts a request in; the returned function counts it out (once, however often it is called). */
  begin(): () => void {
    this.count++;
    let isDone = false;
    return () => {
      if (isDone) return;
      isDone = true;
      this.count--;
      if (this.count === 0) this.notifyIdle();
    };
  }

  /** Resolves when no request is in flight (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
