/**
 * The pids of children that this process spawned through Bun (services, helpers). Bun collects their
 * exit statuses itself; the orphan reaper must never wait for them, or `proc.exited` would lose the code.
 */
export class ChildTracker {
  readonly #pids = new Set<number>();

  add(pid: number): void {
    this.#pids.add(pid);
  }

  delete(pid: number): void {
    this.#pids.delete(pid);
  }

  has(pid: number): boolean {
    return this.#pids.has(pid);
  }

  get size(): number {
    return this.#pids.size;
  }

  /** Tracks `pid` until `exited` settles (Bun has then collected it). */
  trackUntil(pid: number, exited: Promise<unknown>): void {
    this.add(pid);
    const done = () => this.delete(pid);
    exited.then(done, done);
  }
}
