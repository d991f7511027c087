/**
 * The boot sequence's `network` task: bring lo up, then each configured interface (and its VLANs): MTU,
 * up, static addresses, DHCP, static routes; then resolv.conf. With no interfaces in the config, DHCP on
 * every physical non-loopback link. Failures do not stop the rest: each is reported with the interface and
 * the config path it came from (`machine.network.interfaces[0].addresses[1]`).
 *
 * Waiting for DHCP: when the config names interfaces with `dhcp: true`, the first pass waits (up to
 * dhcpTimeoutMs) for each of those; otherwise (DHCP by default) it ends as soon as ONE link has a lease
 * (or all failed, or the timeout passed): the other clients keep trying in the background (`pending`).
 *
 * Reconfiguring (a config downloaded or applied after a first pass): pass the earlier configuration's
 * `release()` as `adopt`. An adopted DHCP client keeps running on a link the new config names with
 * `dhcp: true` or does not name at all (the lease used to fetch the config stays: safer than Talos's
 * "DHCP only on configured interfaces" when the config lists only, say, a static second NIC). On a link the
 * new config names without `dhcp: true` (static addresses, `dhcp: false`), the client is stopped and its
 * lease's address removed.
 */
import type { MachineConfig } from "@bronze/config-schema";
import { type Clock, systemClock } from "../clock.ts";
import { DhcpClient } from "./dhcp-client.ts";
import { applyLease, DhcpError, type DhcpLease, removeLease } from "./dhcp-lease.ts";
import { DhcpSocket } from "./dhcp-socket.ts";
import { NetlinkError } from "./netlink-error.ts";
import { ARPHRD_ETHER } from "./netlink-message.ts";
import { chooseResolvers, renderResolvConf, writeResolvConf } from "./resolv-conf.ts";
import { type Link, RtNetlink } from "./rtnetlink.ts";

export type MachineNetwork = NonNullable<MachineConfig["machine"]["network"]>;
type InterfaceConfig = NonNullable<MachineNetwork["interfaces"]>[number];
type RouteConfig = NonNullable<InterfaceConfig["routes"]>[number];

/** The rtnetlink operations the configurator uses (a real RtNetlink, or a fake in unit tests). */
export type NetworkLinks = Pick<
  RtNetlink,
  | "listLinks"
  | "getLink"
  | "setLinkUp"
  | "setMtu"
  | "addAddress"
  | "deleteAddress"
  | "addRoute"
  | "listAddresses"
  | "listRoutes"
  | "createVlan"
>;

/** A running DHCP client, as the configurator sees it. */
export interface DhcpHandle {
  start(): Promise<DhcpLease>;
  stop(): Promise<void>;
  readonly lease: DhcpLease | undefined;
}

export interface DhcpStartContext {
  readonly link: Link;
  readonly rtnl: NetworkLinks;
  readonly clock: Clock;
  readonly hostname: string | undefined;
  readonly log: (message: string) => void;
  /** Call after each lease is applied (first and renewed), so resolv.conf can follow DNS changes. */
  readonly onLease: (lease: DhcpLease) => void;
}

/** Default route metric for static routes without one (as Talos). */
export const DEFAULT_ROUTE_METRIC = 1024;

/** A DHCP client handed from one configuration to the next (see `release()` and `adopt`). */
export interface RunningDhcp {
  readonly name: string;
  readonly handle: DhcpHandle;
  /** Where the client's later leases (renewals, a late first lease) go from now on. */
  setOnLease(fn: (lease: DhcpLease) => void): void;
}

export interface ConfigureNetworkOptions {
  /** `machine.network` of the config; absent or without interfaces: DHCP on every physical link. */
  readonly network?: MachineNetwork | undefined;
  /** Default: a real RtNetlink (closed at the end unless DHCP clients still run). */
  readonly rtnl?: NetworkLinks;
  /** Where resolv.conf goes: `<root>/<resolvConfPath>`. Default "/" and "etc/resolv.conf". */
  readonly root?: string;
  readonly resolvConfPath?: string;
  readonly clock?: Clock;
  /** Builds a DHCP client for a link. Default: DhcpClient over a DhcpSocket, applying leases via rtnl. */
  readonly createDhcpClient?: (ctx: DhcpStartContext) => DhcpHandle;
  /**
   * How long the first pass waits for leases (for each `dhcp: true` interface, or for the first lease when
   * DHCP runs by default) before reporting the rest pending (they keep trying). Default 30 s.
   */
  readonly dhcpTimeoutMs?: number;
  /** Which links get DHCP when the config names no interface. Default: isPhysicalLink. */
  readonly isDefaultDhcpLink?: (link: Link) => boolean;
  /** DHCP clients still running from an earlier configuration (its `release()`); see the file comment. */
  readonly adopt?: readonly RunningDhcp[];
  readonly log?: (message: string) => void;
}

export interface NetworkFailure {
  readonly interface: string;
  /** Config path, e.g. `machine.network.interfaces[0].addresses[1]`. */
  readonly path: string;
  readonly message: string;
  /** The errno name (EEXIST, ENODEV...) when the kernel refused, else the error's code. */
  readonly code?: string;
}

export type DhcpState = "bound" | "pending" | "failed";

export interface InterfaceSummary {
  readonly name: string;
  /** Where it came from: `machine.network.interfaces[0]`, or `machine.network` for the DHCP default. */
  readonly path: string;
  readonly index?: number;
  readonly up: boolean;
  readonly mtu?: number;
  /** Addresses on the link afterwards, as the kernel reports them. */
  readonly addresses: readonly string[];
  /** Routes through the link afterwards (main table): `default via 10.0.0.1 metric 1024`. */
  readonly routes: readonly string[];
  readonly dhcp?: { readonly state: DhcpState; readonly lease?: DhcpLease };
}

export interface NetworkSummary {
  readonly interfaces: readonly InterfaceSummary[];
  readonly resolvConf?: {
    readonly path: string;
    readonly nameservers: readonly string[];
    readonly source: string;
  };
  readonly failures: readonly NetworkFailure[];
}

export interface NetworkConfiguration extends NetworkSummary {
  /** Stops the DHCP clients' renewal (addresses stay) and closes the rtnetlink socket it opened. */
  stop(): Promise<void>;
  /**
   * Hands the running DHCP clients to a later configureNetwork (`adopt`): this configuration no longer
   * rewrites resolv.conf for their leases, and its stop() leaves them (and the socket they use) alone.
   */
  release(): RunningDhcp[];
}

/** Ethernet, not loopback, and not a virtual kind (veth, vlan, bridge, bond...). */
export function isPhysicalLink(link: Link): boolean {
  return !link.loopback && link.type === ARPHRD_ETHER && link.kind === undefined;
}

function describeError(err: unknown): { message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? { message: err.message, code } : { message: err.message };
  }
  return { message: String(err) };
}

function defaultDhcpClient(ctx: DhcpStartContext): DhcpHandle {
  if (ctx.link.mac === undefined) throw new Error(`link ${ctx.link.name} has no hardware address for DHCP`);
  const rtnl = ctx.rtnl;
  return new DhcpClient({
    interfaceName: ctx.link.name,
    mac: ctx.link.mac,
    transport: new DhcpSocket(ctx.link.name),
    clock: ctx.clock,
    ...(ctx.hostname === undefined ? {} : { hostname: ctx.hostname }),
    apply: (lease, previous) => {
      applyLease(rtnl, lease, previous);
      ctx.onLease(lease);
    },
    expire: (lease) => removeLease(rtnl, lease),
    log: ctx.log,
  });
}

/** One link's worth of work: an interface entry, one of its VLANs, or a default-DHCP link. */
interface Target {
  readonly name: string;
  readonly path: string;
  readonly mtu?: number;
  readonly addresses: readonly string[];
  readonly routes: readonly RouteConfig[];
  readonly dhcp: boolean;
  /** For VLANs: the parent link name and the VLAN id. */
  readonly vlan?: { readonly parent: string; readonly id: number };
  link?: Link;
  dhcpState?: DhcpState;
  client?: DhcpHandle;
  /** The latest lease applied on this link. */
  lease?: DhcpLease;
  /** A client adopted from an earlier configuration (not started here, not waited for). */
  adopted?: boolean;
  /** Where the client's leases go (this configuration's handler until release() re-points it). */
  forward?: (lease: DhcpLease) => void;
}

function targetsFrom(
  network: MachineNetwork | undefined,
  links: readonly Link[],
  pick: (l: Link) => boolean,
): Target[] {
  const interfaces = network?.interfaces ?? [];
  if (interfaces.length === 0) {
    return links
      .filter(pick)
      .map((link) => ({ name: link.name, path: "machine.network", addresses: [], routes: [], dhcp: true }));
  }
  const out: Target[] = [];
  interfaces.forEach((iface, i) => {
    const path = `machine.network.interfaces[${i}]`;
    out.push({
      name: iface.interface,
      path,
      ...(iface.mtu === undefined ? {} : { mtu: iface.mtu }),
      addresses: iface.addresses ?? [],
      routes: iface.routes ?? [],
      dhcp: iface.dhcp === true,
    });
    (iface.vlans ?? []).forEach((vlan, v) => {
      out.push({
        name: `${iface.interface}.${vlan.vlanId}`,
        path: `${path}.vlans[${v}]`,
        ...(vlan.mtu === undefined ? {} : { mtu: vlan.mtu }),
        addresses: vlan.addresses ?? [],
        routes: vlan.routes ?? [],
        dhcp: vlan.dhcp === true,
        vlan: { parent: iface.interface, id: vlan.vlanId },
      });
    });
  });
  return out;
}

/** Configures the network as `machine.network` says (see the file comment). Never throws for one bad step. */
export async function configureNetwork(options: ConfigureNetworkOptions = {}): Promise<NetworkConfiguration> {
  const ownRtnl = options.rtnl === undefined ? new RtNetlink() : undefined;
  const rtnl: NetworkLinks = options.rtnl ?? (ownRtnl as RtNetlink);
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => {});
  const root = options.root ?? "/";
  const failures: NetworkFailure[] = [];
  const fail = (iface: string, path: string, err: unknown) => {
    const d = describeError(err);
    failures.push({ interface: iface, path, ...d });
    log(`network: ${iface} (${path}): ${d.message}`);
  };
  /** Runs one step; on failure records it and returns false. */
  const step = (iface: string, path: string, fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (err) {
      fail(iface, path, err);
      return false;
    }
  };

  step("lo", "machine.network", () => rtnl.setLinkUp("lo"));

  let links: Link[] = [];
  step("*", "machine.network", () => {
    links = rtnl.listLinks();
  });
  const targets = targetsFrom(options.network, links, options.isDefaultDhcpLink ?? isPhysicalLink);
  // Explicit `dhcp: true` interfaces are waited for; DHCP by default only until the first lease.
  const explicitDhcp = targets.some((t) => t.dhcp && t.path !== "machine.network");

  const adoptedByName = new Map<string, RunningDhcp>();
  for (const r of options.adopt ?? []) {
    const t = targets.find((x) => x.name === r.name);
    if (t !== undefined && !t.dhcp) {
      // The new config sets this link statically (or dhcp: false): DHCP stops, its address goes.
      const held = r.handle.lease;
      try {
        await r.handle.stop();
        if (held !== undefined) removeLease(rtnl, held);
        log(`network: ${r.name}: DHCP stopped (${t.path} does not ask for it)`);
      } catch (err) {
        fail(r.name, t.path, err);
      }
      continue;
    }
    adoptedByName.set(r.name, r);
    // Not named by the new config: the running client and its lease stay.
    if (t === undefined)
      targets.push({ name: r.name, path: "machine.network", addresses: [], routes: [], dhcp: true });
  }

  // Links, MTU, up, static addresses.
  for (const t of targets) {
    const found = step(t.name, t.vlan === undefined ? `${t.path}.interface` : `${t.path}.vlanId`, () => {
      if (t.vlan !== undefined) {
        try {
          t.link = rtnl.getLink(t.name);
        } catch (err) {
          if (!(err instanceof NetlinkError && err.code === "ENODEV")) throw err;
          t.link = rtnl.createVlan(t.vlan.parent, t.name, t.vlan.id);
        }
      } else {
        t.link = rtnl.getLink(t.name);
      }
    });
    if (!found || t.link === undefined) continue;
    const index = t.link.index;
    if (t.mtu !== undefined) {
      const mtu = t.mtu;
      step(t.name, `${t.path}.mtu`, () => rtnl.setMtu(index, mtu));
    }
    step(t.name, t.path, () => rtnl.setLinkUp(index));
    t.addresses.forEach((cidr, j) => {
      step(t.name, `${t.path}.addresses[${j}]`, () => rtnl.addAddress(t.name, cidr, { replace: true }));
    });
  }

  // DHCP, all links at once, each waited for at most dhcpTimeoutMs.
  const timeoutMs = options.dhcpTimeoutMs ?? 30_000;
  const hostname = options.network?.hostname;
  let resolvConf: NetworkSummary["resolvConf"];
  const writeResolv = () => {
    const leases = targets.flatMap((t) => (t.lease === undefined ? [] : [t.lease]));
    step("*", "machine.network.nameservers", () => {
      const settings = chooseResolvers(options.network?.nameservers, leases);
      const path = writeResolvConf(root, renderResolvConf(settings), options.resolvConfPath);
      resolvConf = { path, nameservers: settings.nameservers, source: settings.source };
    });
  };
  let finished = false;
  let released = false;
  /** Leases applied after the first pass (late first leases, renewals) rewrite resolv.conf. */
  const leaseHandler = (t: Target) => (lease: DhcpLease) => {
    t.lease = lease;
    if (finished && !released) writeResolv();
  };
  const firsts: Array<{ t: Target; first: Promise<DhcpLease | undefined> }> = [];
  for (const t of targets) {
    if (!t.dhcp || t.link === undefined) continue;
    const link = t.link;
    const path = t.path === "machine.network" ? t.path : `${t.path}.dhcp`;
    const adopted = adoptedByName.get(t.name);
    if (adopted !== undefined) {
      t.client = adopted.handle;
      t.adopted = true;
      const held = adopted.handle.lease;
      if (held !== undefined) t.lease = held;
      t.dhcpState = held === undefined ? "pending" : "bound";
      t.forward = leaseHandler(t);
      adopted.setOnLease((lease) => {
        t.dhcpState = "bound";
        t.forward?.(lease);
      });
      continue;
    }
    {
      t.forward = leaseHandler(t);
      try {
        t.client = (options.createDhcpClient ?? defaultDhcpClient)({
          link,
          rtnl,
          clock,
          hostname,
          log,
          onLease: (lease) => t.forward?.(lease),
        });
      } catch (err) {
        t.dhcpState = "failed";
        fail(t.name, path, err);
        continue;
      }
      const first = t.client.start().then(
        (lease) => {
          t.dhcpState = "bound";
          t.lease ??= lease;
          return lease;
        },
        (err: unknown) => {
          // Handed to a later configuration that stopped it (the config sets the link statically).
          if (released && err instanceof DhcpError && err.code === "stopped") return undefined;
          t.dhcpState = "failed";
          fail(t.name, path, err);
          return undefined;
        },
      );
      firsts.push({ t, first });
    }
  }
  if (firsts.length > 0) {
    const awaited = explicitDhcp ? firsts.filter((f) => f.t.path !== "machine.network") : firsts;
    const abort = new AbortController();
    const enough = explicitDhcp
      ? Promise.all(awaited.map((f) => f.first)).then(() => undefined)
      : firstLease(awaited.map((f) => f.first));
    const started = clock.monotonic();
    await Promise.race([enough, clock.sleep(timeoutMs, abort.signal)]);
    abort.abort();
    const waited = clock.monotonic() - started;
    for (const { t } of firsts) {
      if (t.dhcpState !== undefined) continue;
      t.dhcpState = "pending";
      log(
        waited >= timeoutMs
          ? `network: ${t.name}: no DHCP lease within ${timeoutMs} ms; still trying`
          : `network: ${t.name}: no DHCP lease yet (another link has one); still trying in the background`,
      );
    }
  }

  // Static routes, now that addresses (static and DHCP) are in place.
  for (const t of targets) {
    if (t.link === undefined) continue;
    t.routes.forEach((route, k) => {
      step(t.name, `${t.path}.routes[${k}]`, () =>
        rtnl.addRoute(
          {
            destination: route.network,
            ...(route.gateway === undefined ? {} : { gateway: route.gateway }),
            dev: t.name,
            metric: route.metric ?? DEFAULT_ROUTE_METRIC,
          },
          { replace: true },
        ),
      );
    });
  }

  writeResolv();
  finished = true;

  // What the kernel has now.
  let routes4: ReturnType<RtNetlink["listRoutes"]> = [];
  let routes6: ReturnType<RtNetlink["listRoutes"]> = [];
  try {
    routes4 = rtnl.listRoutes(4);
    routes6 = rtnl.listRoutes(6);
  } catch (err) {
    fail("*", "machine.network", err);
  }
  const interfaces: InterfaceSummary[] = targets.map((t) => {
    if (t.link === undefined) return { name: t.name, path: t.path, up: false, addresses: [], routes: [] };
    let link = t.link;
    let addresses: string[] = [];
    try {
      link = rtnl.getLink(t.link.index);
      addresses = rtnl.listAddresses(link.index).map((a) => a.cidr);
    } catch (err) {
      fail(t.name, t.path, err);
    }
    const routes = [...routes4, ...routes6]
      .filter((r) => r.oif === link.index)
      .map((r) => {
        const dst = r.destination === "0.0.0.0/0" || r.destination === "::/0" ? "default" : r.destination;
        return `${dst}${r.gateway === undefined ? "" : ` via ${r.gateway}`}${r.metric === undefined ? "" : ` metric ${r.metric}`}`;
      });
    const lease = t.client?.lease ?? t.lease;
    return {
      name: t.name,
      path: t.path,
      index: link.index,
      up: link.up,
      mtu: link.mtu,
      addresses,
      routes,
      ...(t.dhcpState === undefined
        ? {}
        : { dhcp: { state: t.dhcpState, ...(lease === undefined ? {} : { lease }) } }),
    };
  });

  const clients = targets.flatMap((t) => (t.client === undefined ? [] : [t.client]));
  const ownClients = targets.filter((t) => t.client !== undefined && t.adopted !== true);
  if (ownRtnl !== undefined && ownClients.length === 0) ownRtnl.close();
  return {
    interfaces,
    ...(resolvConf === undefined ? {} : { resolvConf }),
    failures,
    stop: async () => {
      if (released) return;
      await Promise.all(clients.map((c) => c.stop()));
      ownRtnl?.close();
    },
    release: () => {
      released = true;
      return targets.flatMap((t) => {
        const client = t.client;
        if (client === undefined || t.dhcpState === "failed") return [];
        return [
          {
            name: t.name,
            handle: client,
            setOnLease: (fn: (lease: DhcpLease) => void) => {
              t.forward = fn;
            },
          },
        ];
      });
    },
  };
}

/** Resolves when one of the first leases arrives, or when all of them have settled without one. */
function firstLease(firsts: readonly Promise<DhcpLease | undefined>[]): Promise<void> {
  return new Promise((resolve) => {
    let left = firsts.length;
    if (left === 0) resolve();
    for (const f of firsts) {
      void f.then((lease) => {
        left -= 1;
        if (lease !== undefined || left === 0) resolve();
      });
    }
  });
}
