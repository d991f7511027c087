import { afterEach, expect, test } from "bun:test";
import type { Clock } from "../clock.ts";
import { FakeClock, settle } from "../testing/fake-clock.ts";
import { BROADCAST_ADDRESS, DhcpClient, type DhcpTransport, REQUESTED_OPTIONS } from "./dhcp-client.ts";
import type { DhcpLease } from "./dhcp-lease.ts";
import { type DhcpMessage, decodeDhcpMessage, encodeDhcpMessage } from "./dhcp-message.ts";

const MAC = "52:54:00:aa:bb:cc";

/** A scripted DHCP server behind a fake transport; replies arrive through the fake clock's world. */
class FakeServer implements DhcpTransport {
  readonly sent: Array<{ msg: DhcpMessage; to: string; at: number }> = [];
  /** Decides the reply to each client message (undefined: stay silent). */
  respond: (msg: DhcpMessage, to: string) => DhcpMessage | undefined = (msg) => this.standard(msg);
  leaseTime = 100;
  closed = false;
  readonly #queue: Uint8Array[] = [];
  #waiter: ((b: Uint8Array) => void) | undefined;

  constructor(readonly clock: Clock) {}

  standard(msg: DhcpMessage, address = "10.0.0.50"): DhcpMessage | undefined {
    const type = msg.options.messageType === "DISCOVER" ? "OFFER" : "ACK";
    return {
      op: 2,
      xid: msg.xid,
      yiaddr: address,
      chaddr: msg.chaddr,
      options: {
        messageType: type,
        serverId: "10.0.0.1",
        subnetMask: "255.255.255.0",
        routers: ["10.0.0.1"],
        dnsServers: ["10.0.0.2"],
        leaseTime: this.leaseTime,
      },
    };
  }

  send(packet: Uint8Array, to: string): void {
    const msg = decodeDhcpMessage(packet);
    this.sent.push({ msg, to, at: this.clock.monotonic() });
    const reply = this.respond(msg, to);
    if (reply !== undefined) this.push(encodeDhcpMessage(reply));
  }

  push(bytes: Uint8Array): void {
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w(bytes);
    } else this.#queue.push(bytes);
  }

  async receive(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    const stopSleep = new AbortController();
    signal?.addEventListener("abort", () => stopSleep.abort(), { once: true });
    return new Promise((resolve) => {
      this.#waiter = (b) => {
        stopSleep.abort();
        resolve(b);
      };
      void this.clock.sleep(timeoutMs, stopSleep.signal).then((elapsed) => {
        if (elapsed || signal?.aborted) {
          this.#waiter = undefined;
          resolve(undefined);
        }
      });
    });
  }

  close(): void {
    this.closed = true;
  }

  types(): string[] {
    return this.sent.map(
      (s) => `${s.msg.options.messageType}@${s.at}${s.to === BROADCAST_ADDRESS ? "" : `>${s.to}`}`,
    );
  }
}

const clients: DhcpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.stop();
});

function setup(extra: Partial<ConstructorParameters<typeof DhcpClient>[0]> = {}) {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  const applied: Array<{ lease: DhcpLease; previous: DhcpLease | undefined }> = [];
  const expired: DhcpLease[] = [];
  let xid = 100;
  const client = new DhcpClient({
    interfaceName: "eth0",
    mac: MAC,
    transport: server,
    clock,
    hostname: "node1",
    xid: () => xid++,
    apply: (lease, previous) => void applied.push({ lease, previous }),
    expire: (lease) => void expired.push(lease),
    retry: { initialMs: 4000, maxMs: 16000, minRenewMs: 10000 },
    ...extra,
  });
  clients.push(client);
  return { clock, server, client, applied, expired };
}

test("DISCOVER → OFFER → REQUEST → ACK yields and applies the lease", async () => {
  const { server, client, applied } = setup();
  const lease = await client.start();
  expect(lease).toMatchObject({
    address: "10.0.0.50",
    cidr: "10.0.0.50/24",
    router: "10.0.0.1",
    dnsServers: ["10.0.0.2"],
  });
  expect(server.types()).toEqual(["DISCOVER@0", "REQUEST@0"]);
  const [discover, request] = server.sent.map((s) => s.msg);
  expect(discover?.flags).toBe(0x8000);
  expect(discover?.chaddr).toBe(MAC);
  expect(discover?.options.parameterRequestList).toEqual(REQUESTED_OPTIONS);
  expect(discover?.options.hostname).toBe("node1");
  expect(request?.xid).toBe(discover?.xid);
  expect(request?.options).toMatchObject({ requestedIp: "10.0.0.50", serverId: "10.0.0.1" });
  expect(applied).toHaveLength(1);
  expect(client.lease?.address).toBe("10.0.0.50");
});

test("retries with doubling waits, capped, ignoring foreign xids and malformed packets", async () => {
  const { clock, server, client } = setup();
  let discovers = 0;
  server.respond = (msg) => {
    if (msg.options.messageType === "DISCOVER" && ++discovers <= 3) {
      server.push(new Uint8Array([1, 2, 3])); // garbage
      return { ...(server.standard(msg) as DhcpMessage), xid: msg.xid + 1000 }; // not ours
    }
    return server.standard(msg);
  };
  const started = client.start();
  await clock.advance(4000);
  await clock.advance(8000);
  await clock.advance(16000);
  await started;
  expect(server.types()).toEqual([
    "DISCOVER@0",
    "DISCOVER@4000",
    "DISCOVER@12000",
    "DISCOVER@28000",
    "REQUEST@28000",
  ]);
  const xids = server.sent.map((s) => s.msg.xid);
  expect(new Set(xids.slice(0, 4)).size).toBe(4);
  expect(server.sent.at(-1)?.msg.options.messageType).toBe("REQUEST");
  expect(server.sent[3]?.msg.secs).toBe(28);
});

test("a NAK starts over with a new DISCOVER", async () => {
  const { server, client } = setup();
  let requests = 0;
  server.respond = (msg) => {
    const reply = server.standard(msg) as DhcpMessage;
    if (msg.options.messageType === "REQUEST" && ++requests === 1) {
      return { ...reply, yiaddr: "0.0.0.0", options: { messageType: "NAK", serverId: "10.0.0.1" } };
    }
    return reply;
  };
  await client.start();
  expect(server.types()).toEqual(["DISCOVER@0", "REQUEST@0", "DISCOVER@0", "REQUEST@0"]);
});

test("renews at T1 by unicast to the server and applies the renewed lease", async () => {
  const { clock, server, client, applied } = setup();
  const first = await client.start();
  expect(first.renewalTime).toBe(50);
  await clock.advance(49_999);
  expect(server.sent).toHaveLength(2);
  await clock.advance(1);
  expect(server.types().slice(2)).toEqual(["REQUEST@50000>10.0.0.1"]);
  const renew = server.sent[2]?.msg;
  expect(renew?.ciaddr).toBe("10.0.0.50");
  expect(renew?.flags).toBe(0);
  expect(renew?.options.requestedIp).toBeUndefined();
  expect(applied).toHaveLength(2);
  expect(applied[1]?.previous).toEqual(first);
  expect(client.lease?.acquiredAt).toBe(50_000);
  // The next renewal counts from the new ACK.
  await clock.advance(50_000);
  expect(server.types().at(-1)).toBe("REQUEST@100000>10.0.0.1");
});

test("rebinds by broadcast after T2 and starts over when the lease expires", async () => {
  const { clock, server, client, expired } = setup();
  await client.start();
  server.respond = () => undefined; // the server goes away
  await clock.advance(100_000);
  const types = server.types().slice(2);
  expect(types[0]).toBe("REQUEST@50000>10.0.0.1");
  expect(types.some((t) => t.startsWith("REQUEST@") && !t.includes(">"))).toBe(true); // rebinding
  const rebindAt = Number(types.find((t) => !t.includes(">"))?.slice("REQUEST@".length));
  expect(rebindAt).toBe(87_000); // T2 = floor(7/8 of 100 s)
  // Renewing: half the time left to T2, at least minRenewMs (10 s) and at most what is left; then rebinding.
  expect(types).toEqual([
    "REQUEST@50000>10.0.0.1",
    "REQUEST@68500>10.0.0.1",
    "REQUEST@78500>10.0.0.1",
    "REQUEST@87000",
    "REQUEST@97000",
    "DISCOVER@100000",
  ]);
  expect(expired.map((l) => l.cidr)).toEqual(["10.0.0.50/24"]);
  expect(client.lease).toBeUndefined();
  expect(types.at(-1)).toBe("DISCOVER@100000");
  // The server comes back: a fresh lease.
  server.respond = (msg) => server.standard(msg, "10.0.0.77");
  await clock.advance(4000);
  expect(client.lease?.address).toBe("10.0.0.77");
});

test("stop() cancels renewal, closes the socket, and rejects start() while acquiring", async () => {
  const a = setup();
  await a.client.start();
  await a.client.stop();
  expect(a.server.closed).toBe(true);
  await a.clock.advance(200_000);
  expect(a.server.sent).toHaveLength(2);
  expect(a.clock.pending).toBe(0);

  const b = setup();
  b.server.respond = () => undefined;
  const started = b.client.start();
  await settle();
  const stopping = b.client.stop();
  await expect(started).rejects.toMatchObject({ name: "DhcpError", code: "stopped" });
  await stopping;
});

test("a failure to apply the first lease rejects start()", async () => {
  const { client } = setup({
    apply: () => {
      throw new Error("RTM_NEWADDR 10.0.0.50/24 dev eth0: No such device (ENODEV)");
    },
  });
  await expect(client.start()).rejects.toThrow("No such device");
});
