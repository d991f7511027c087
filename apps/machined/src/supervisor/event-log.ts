import { Feed, type FollowOptions } from "./feed.ts";
import type { ServiceEvent } from "./service-state.ts";

/** The bounded log of service transitions: tail (optionally per service), subscribe, follow. */
export class EventLog {
  readonly #feed: Feed<ServiceEvent>;
  #seq = 0;

  constructor(maxEvents = 1000) {
    this.#feed = new Feed<ServiceEvent>({ maxItems: maxEvents });
  }

  append(event: Omit<ServiceEvent, "seq">): ServiceEvent {
    const full: ServiceEvent = { seq: ++this.#seq, ...event };
    this.#feed.push(full);
    return full;
  }

  /** The last `n` events (of one service when given), oldest first. */
  tail(n = Number.POSITIVE_INFINITY, service?: string): ServiceEvent[] {
    if (service === undefined) return this.#feed.tail(n);
    const all = this.#feed.tail().filter((e) => e.service === service);
    return all.slice(Math.max(0, all.length - n));
  }

  get length(): number {
    return this.#feed.length;
  }

  subscribe(listener: (event: ServiceEvent) => void): () => void {
    return this.#feed.subscribe(listener);
  }

  follow(options: Omit<FollowOptions<ServiceEvent>, "onDropped"> = {}): AsyncGenerator<ServiceEvent> {
    return this.#feed.follow(options);
  }
}
