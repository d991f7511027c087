/**
 * Test fixture: runs the real DHCP client on one interface (inside a test namespace) and prints one JSON
 * line: the first lease, how many times a lease was applied, and the lease once it was renewed
 * `renewals` times (waiting at most `waitMs`).
 */
import { eventually } from "@bronze/testing";
import { type Clock, systemClock } from "../clock.ts";
import { DhcpClient } from "./dhcp-client.ts";
import { applyLease } from "./dhcp-lease.ts";
import { DhcpSocket } from "./dhcp-socket.ts";
import { RtNetlink } from "./rtnetlink.ts";

const input = JSON.parse(process.argv[2] ?? "{}") as {
  interface: string;
  renewals?: number;
  waitMs?: number;
  hostname?: string;
  /** Runs the client's clock this many times faster than real time (to reach T1 within a test). */
  timeScale?: number;
};
const scale = input.timeScale ?? 1;
const clock: Clock = {
  now: () => systemClock.now(),
  monotonic: () => systemClock.monotonic() * scale,
  sleep: (ms, signal) => systemClock.sleep(ms / scale, signal),
};
const rtnl = new RtNetlink();
const link = rtnl.getLink(input.interface);
rtnl.setLinkUp(link.index);
let applied = 0;
const log: string[] = [];
const client = new DhcpClient({
  interfaceName: link.name,
  mac: link.mac ?? "",
  transport: new DhcpSocket(link.name),
  clock,
  retry: { initialMs: 1000, maxMs: 2000, minRenewMs: 500 },
  apply: (lease, previous) => {
    applied++;
    applyLease(rtnl, lease, previous);
  },
  log: (m) => log.push(m),
  ...(input.hostname === undefined ? {} : { hostname: input.hostname }),
});
try {
  const first = await client.start();
  const renewals = input.renewals;
  if (renewals !== undefined) {
    // Reported either way: the test says whether the lease was renewed.
    await eventually("the lease renewed", () => applied >= 1 + renewals, input.waitMs ?? 10_000, 20).catch(
      () => {},
    );
  }
  const later = client.lease;
  await client.stop();
  console.log(JSON.stringify({ ok: true, first, later, applied, log }));
} catch (err) {
  await client.stop();
  const e = err as Error & { code?: string };
  console.log(JSON.stringify({ ok: false, error: { name: e.name, code: e.code, message: e.message }, log }));
} finally {
  rtnl.close();
}
