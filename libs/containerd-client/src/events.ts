// containerd's Events service: a subscription that knows when it is live (it publishes a marker
// event to itself and waits to see it), and that resubscribes with backoff when containerd
// restarts, telling the consumer so (events in between are lost: resynchronise on "resubscribed").
import { create } from "@bufbuild/protobuf";
import { anyPack, EmptySchema } from "@bufbuild/protobuf/wkt";
import { type BackoffOptions, backoffDelay, sleep } from "./backoff.ts";
import type { CallOptions, Connection } from "./connection.ts";
import { toDate } from "./convert.ts";
import { ContainerdError } from "./errors.ts";
import { type ContainerdEvent, decodeEvent } from "./event-decode.ts";
import { Events } from "./gen/github.com/containerd/containerd/api/services/events/v1/events_pb.ts";

export type EventStreamItem =
  | ({ kind: "event" } & ContainerdEvent)
  /** The stream broke (containerd restarted) and is live again; events in between were lost. */
  | { kind: "resubscribed"; reason: string };

export interface SubscribeOptions {
  /** containerd event filters, OR'ed (e.g. `topic=="/tasks/exit"`, `topic~="/containers/"`). */
  filters?: string[];
  /** Events of every namespace (default: the client's namespace only). */
  allNamespaces?: boolean;
  /** Resubscribe after the stream breaks (default true). */
  resubscribe?: boolean;
  backoff?: BackoffOptions;
  signal?: AbortSignal;
}

export interface EventSubscription extends AsyncIterable<EventStreamItem> {
  /** Resolves once containerd delivers events to this subscription; rejects if the first attempt fails. */
  readonly ready: Promise<void>;
  close(): void;
}

const MARKER_PREFIX = "/bronze/subscribed/";

export class EventsApi {
  constructor(private readonly conn: Connection) {}

  /** Publishes an (empty) event on `topic` in the client's namespace. */
  async publish(topic: string, options?: CallOptions): Promise<void> {
    await this.conn.call(`events.publish ${topic}`, () =>
      this.conn
        .client(Events)
        .publish({ topic, event: anyPack(EmptySchema, create(EmptySchema)) }, this.conn.options(options)),
    );
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    const conn = this.conn;
    const op = "events.subscribe";
    const abort = new AbortController();
    options.signal?.addEventListener("abort", () => abort.abort(), { once: true });
    const queue: EventStreamItem[] = [];
    let failure: ContainerdError | undefined;
    let finished = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    let resolveReady!: () => void;
    let rejectReady!: (e: unknown) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    ready.catch(() => {});

    const nsClause = options.allNamespaces ? "" : `namespace==${conn.namespace}`;
    const userFilters = (options.filters ?? []).filter((f) => f.trim() !== "");
    const scoped =
      userFilters.length === 0
        ? [nsClause].filter(Boolean)
        : userFilters.map((f) => (nsClause ? `${nsClause},${f}` : f));
    // No filter at all means "everything": keep it that way when only the marker filter is added.
    const everything = scoped.length === 0;

    const pump = async () => {
      let attempt = 0;
      let connected = false;
      let reason = "";
      while (!abort.signal.aborted) {
        const marker = `${MARKER_PREFIX}${crypto.randomUUID()}`;
        let seen = false;
        try {
          const filters = everything ? [] : [...scoped, `topic=="${marker}"`];
          const stream = conn
            .client(Events)
            .subscribe({ filters }, { ...conn.options({ signal: abort.signal }), timeoutMs: undefined });
          // The subscription is live once containerd hands it the marker: publish until it does.
          void (async () => {
            for (let i = 0; i < 200 && !seen && !abort.signal.aborted; i++) {
              await this.publish(marker).catch(() => {});
              await sleep(Math.min(10 * 2 ** i, 500), abort.signal);
            }
          })();
          for await (const env of stream) {
            if (env.topic.startsWith(MARKER_PREFIX)) {
              if (env.topic === marker && !seen) {
                seen = true;
                attempt = 0;
                if (connected) queue.push({ kind: "resubscribed", reason });
                connected = true;
                resolveReady();
                notify();
              }
              continue;
            }
            const ts = toDate(env.timestamp);
            queue.push({
              kind: "event",
              topic: env.topic,
              namespace: env.namespace,
              ...(ts ? { timestamp: ts } : {}),
              event: decodeEvent(env.event),
            });
            notify();
          }
          reason = "containerd ended the event stream";
        } catch (e) {
          if (abort.signal.aborted) break;
          const err = conn.error(op, e);
          reason = err.message;
          if (!connected || !(options.resubscribe ?? true)) {
            failure = err;
            rejectReady(err);
            break;
          }
        }
        seen = true; // stop the marker publisher of this attempt
        if (!(options.resubscribe ?? true)) {
          failure = new ContainerdError("Unavailable", op, reason);
          break;
        }
        await sleep(backoffDelay(attempt++, options.backoff), abort.signal);
      }
      finished = true;
      rejectReady(failure ?? new ContainerdError("Canceled", op, "subscription closed"));
      notify();
    };
    void pump();

    return {
      ready,
      close: () => abort.abort(),
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const item = queue.shift();
            if (item) {
              yield item;
              continue;
            }
            if (finished) {
              if (failure) throw failure;
              return;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        } finally {
          abort.abort();
        }
      },
    };
  }
}
