/** Numbered build steps, each printed with its duration when it ends: `[3/9] squashfs rootfs ... 2.1s`. */
export class Progress {
  private index = 0;
  readonly timings: Array<{ readonly name: string; readonly seconds: number }> = [];

  constructor(
    private readonly total: number,
    private readonly log: (line: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs one step; `note` adds a detail to its line (e.g. "2 downloaded"). */
  async step<T>(name: string, fn: (note: (detail: string) => void) => Promise<T> | T): Promise<T> {
    this.index += 1;
    const start = this.now();
    const details: string[] = [];
    const result = await fn((d) => details.push(d));
    const seconds = (this.now() - start) / 1000;
    this.timings.push({ name, seconds });
    const detail = details.length > 0 ? ` (${details.join(", ")})` : "";
    this.log(`[${this.index}/${this.total}] ${name} ... ${seconds.toFixed(1)}s${detail}`);
    return result;
  }
}
