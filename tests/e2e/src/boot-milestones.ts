// Boot milestones seen on a QEMU guest's serial log, each stamped with the host's clock when it
// first appeared (the log is polled as it grows), and with the guest kernel's printk time when the
// line carries one. Host times let phases be compared across the node and the floor on one clock.

export interface MilestoneSpec {
  readonly name: string;
  readonly pattern: RegExp;
}

export interface Milestone {
  /** Host seconds (the caller's clock) when the line was first seen. */
  readonly host: number;
  /** The kernel's `[ 6.515990]` timestamp of the line, if it has one. */
  readonly guest?: number;
}

/** Where a node's boot goes, in order (the patterns of apps/osctl/src/cluster/node-wait.ts). */
export const NODE_MILESTONES: readonly MilestoneSpec[] = [
  { name: "kernel", pattern: /Linux version/ },
  { name: "init", pattern: /Run \/init as init process/ },
  { name: "machined", pattern: /machined: starting/ },
  { name: "containerd", pattern: /service containerd is up/ },
  { name: "apid", pattern: /service apid: Running/ },
];

/** Longest line kept between two chunks, so that a milestone split by a read is still found. */
const CARRY = 4096;

/** Feeds the serial log chunk by chunk; remembers when each milestone's line was first complete. */
export class MilestoneWatcher {
  readonly #specs: readonly MilestoneSpec[];
  readonly #seen = new Map<string, Milestone>();
  #partial = "";

  constructor(specs: readonly MilestoneSpec[]) {
    this.#specs = specs;
  }

  /** New serial output read at host time `host`. Only complete lines count. */
  feed(chunk: string, host: number): void {
    const text = this.#partial + chunk;
    const end = text.lastIndexOf("\n");
    if (end < 0) {
      this.#partial = text.slice(-CARRY);
      return;
    }
    this.#partial = text.slice(end + 1).slice(-CARRY);
    for (const line of text.slice(0, end).split("\n")) {
      for (const spec of this.#specs) {
        if (this.#seen.has(spec.name) || !spec.pattern.test(line)) continue;
        const stamp = /^\[\s*(\d+\.\d+)\]/.exec(line);
        this.#seen.set(spec.name, stamp ? { host, guest: Number(stamp[1]) } : { host });
      }
    }
  }

  get(name: string): Milestone | undefined {
    return this.#seen.get(name);
  }

  has(name: string): boolean {
    return this.#seen.has(name);
  }
}
