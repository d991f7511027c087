import { beforeAll, expect, test } from "bun:test";
import { busyboxImage, useContainerd } from "../test/fixtures.ts";
import type { EventStreamItem } from "./events.ts";

const env = useContainerd();
const IMAGE = "docker.io/bronze/busybox:test";

beforeAll(async () => {
  await env.client.images.import(busyboxImage().data);
});

/** Collects items until `until` matches one (or the timeout passes). */
async function collect(
  sub: AsyncIterable<EventStreamItem>,
  until: (i: EventStreamItem) => boolean,
  timeoutMs = 15_000,
): Promise<EventStreamItem[]> {
  const out: EventStreamItem[] = [];
  const timer = Bun.sleep(timeoutMs).then(() => "timeout" as const);
  const it = sub[Symbol.asyncIterator]();
  for (;;) {
    const r = await Promise.race([it.next(), timer]);
    if (r === "timeout")
      throw new Error(
        `timed out; got ${JSON.stringify(out.map((i) => (i.kind === "event" ? i.topic : i.kind)))}`,
      );
    if (r.done) return out;
    out.push(r.value);
    if (until(r.value)) return out;
  }
}

test("a subscription is live once ready, and sees a container's lifecycle in order, filtered", async () => {
  const sub = env.client.events.subscribe({ filters: ['topic~="/tasks/"', 'topic~="/containers/"'] });
  await sub.ready;
  const done = env.client.run({ id: "evented", image: IMAGE, args: ["/bin/sh", "-c", "exit 4"] });
  const items = await collect(sub, (i) => i.kind === "event" && i.topic === "/containers/delete");
  await done;
  sub.close();
  const topics = items.flatMap((i) => (i.kind === "event" ? [i.topic] : []));
  expect(topics).toEqual([
    "/containers/create",
    "/tasks/create",
    "/tasks/start",
    "/tasks/exit",
    "/tasks/delete",
    "/containers/delete",
  ]);
  const exit = items.find((i) => i.kind === "event" && i.event.type === "TaskExit");
  expect(exit?.kind === "event" && exit.event).toMatchObject({
    type: "TaskExit",
    containerId: "evented",
    exitStatus: 4,
  });
  expect(exit?.kind === "event" && exit.namespace).toBe(env.namespace);
  expect(exit?.kind === "event" && exit.timestamp).toBeInstanceOf(Date);
  const create = items.find((i) => i.kind === "event" && i.event.type === "ContainerCreate");
  expect(create?.kind === "event" && create.event).toEqual({
    type: "ContainerCreate",
    id: "evented",
    image: IMAGE,
    runtime: "io.containerd.runc.v2",
  });
});

test("events of other namespaces are not seen unless asked for", async () => {
  const filters = ['topic=="/containers/create"'];
  const mine = env.client.events.subscribe({ filters });
  const all = env.client.events.subscribe({ filters, allNamespaces: true });
  await Promise.all([mine.ready, all.ready]);
  const spec = { ociVersion: "1.0.2" };
  await env.client.withNamespace("elsewhere").containers.create({ id: "theirs", spec });
  await env.client.containers.create({ id: "ours", spec });
  const seenAll = await collect(all, (i) => i.kind === "event" && i.namespace === env.namespace);
  expect(
    seenAll.map((i) =>
      i.kind === "event" ? `${i.namespace}/${i.event.type === "ContainerCreate" ? i.event.id : ""}` : i.kind,
    ),
  ).toEqual(["elsewhere/theirs", `${env.namespace}/ours`]);
  const seenMine = await collect(mine, (i) => i.kind === "event");
  expect(seenMine.map((i) => (i.kind === "event" ? i.namespace : i.kind))).toEqual([env.namespace]);
  mine.close();
  all.close();
  await env.client.withNamespace("elsewhere").containers.remove("theirs");
  await env.client.containers.remove("ours");
});

test("non-container events decode too (namespace events as JSON)", async () => {
  const sub = env.client.events.subscribe({ filters: ['topic=="/namespaces/create"'] });
  await sub.ready;
  await env.client.namespaces.create("made-here");
  const seen = await collect(sub, (i) => i.kind === "event");
  const last = seen.at(-1);
  expect(last?.kind === "event" && last.event).toEqual({
    type: "Other",
    typeUrl: "containerd.events.NamespaceCreate",
    data: { name: "made-here" },
  });
  sub.close();
});

test("after containerd restarts, the subscription says so and keeps delivering", async () => {
  const sub = env.client.events.subscribe({
    filters: ['topic=="/containers/create"'],
    backoff: { initialMs: 50, maxMs: 200 },
  });
  await sub.ready;
  // The daemon has exited when stopDaemon returns: the stream is broken, whenever the client notices.
  await env.containerd.stopDaemon();
  await env.containerd.startDaemon();
  const items = await collect(sub, (i) => i.kind === "resubscribed");
  expect(items.at(-1)?.kind).toBe("resubscribed");
  await env.client.createContainer({ id: "after-restart", image: IMAGE, args: ["/bin/true"] });
  const after = await collect(sub, (i) => i.kind === "event");
  expect(after.at(-1)?.kind === "event" && after.at(-1)).toMatchObject({
    topic: "/containers/create",
    event: { type: "ContainerCreate", id: "after-restart" },
  });
  sub.close();
  await env.client.removeContainer("after-restart");
});

test("without resubscribe, a broken stream ends the iteration with Unavailable; close ends it quietly", async () => {
  const sub = env.client.events.subscribe({ resubscribe: false });
  await sub.ready;
  await env.containerd.stopDaemon({ kill: true });
  const it = sub[Symbol.asyncIterator]();
  const e = await (async () => {
    for (;;) await it.next();
  })().catch((x) => x);
  expect(e.code).toBe("Unavailable");
  await env.containerd.startDaemon();
  const quiet = env.client.events.subscribe();
  await quiet.ready;
  quiet.close();
  expect(await quiet[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
});
