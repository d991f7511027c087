import { expect, test } from "bun:test";
import type { MachineConfig } from "@bronze/config-schema";
import type {
  ConfigureNetworkOptions,
  NetworkConfiguration,
  RunningDhcp,
} from "../network/network-configurator.ts";
import { FakeClock, settle } from "../testing/fake-clock.ts";
import { describeNetwork, networkSetup } from "./network-setup.ts";

/** A configure fake: records each pass's options; each pass "runs" DHCP on `dhcpLinks`. */
function fakeConfigure() {
  const passes: Array<{ options: ConfigureNetworkOptions; released: boolean; stopped: boolean }> = [];
  let gate: Promise<void> = Promise.resolve();
  const configure = async (options: ConfigureNetworkOptions): Promise<NetworkConfiguration> => {
    const pass = { options, released: false, stopped: false };
    passes.push(pass);
    await gate;
    const names = (options.network?.interfaces ?? []).map((i) => i.interface);
    const running: RunningDhcp[] = (names.length === 0 ? ["eth0", "eth1"] : names).map((name) => ({
      name,
      handle: {
        start: async () => Promise.reject(new Error("unused")),
        stop: async () => {},
        lease: undefined,
      },
      setOnLease: () => {},
    }));
    return {
      interfaces: [
        {
          name: "eth0",
          path: "machine.network",
          up: true,
          addresses: ["10.0.2.15/24"],
          routes: [],
          dhcp: { state: "bound" },
        },
      ],
      failures: [],
      stop: async () => {
        pass.stopped = true;
      },
      release: () => {
        pass.released = true;
        return running;
      },
    };
  };
  return {
    passes,
    configure,
    hold() {
      let open = () => {};
      gate = new Promise((r) => {
        open = r;
      });
      return () => open();
    },
  };
}

const config = (iface: string, address: string) =>
  ({
    version: "v1alpha1",
    machine: { type: "worker", network: { interfaces: [{ interface: iface, addresses: [address] }] } },
  }) as unknown as MachineConfig;

test("the first pass adopts nothing; a later pass adopts the earlier pass's DHCP clients", async () => {
  const fake = fakeConfigure();
  const lines: string[] = [];
  const setup = networkSetup({
    configure: fake.configure,
    root: "/system",
    resolvConfPath: "etc/resolv.conf",
    clock: new FakeClock(),
    log: (l) => lines.push(l),
  });
  expect(setup.passes).toBe(0);
  await setup.apply(undefined);
  expect(fake.passes[0]?.options).toMatchObject({ root: "/system", resolvConfPath: "etc/resolv.conf" });
  expect(fake.passes[0]?.options.network).toBeUndefined();
  expect(fake.passes[0]?.options.adopt).toBeUndefined();
  expect(lines).toEqual(["network: eth0: 10.0.2.15/24 (DHCP bound)"]);

  await setup.apply(config("eth1", "10.5.0.2/24"));
  expect(setup.passes).toBe(2);
  expect(fake.passes[0]?.released).toBe(true);
  expect(fake.passes[1]?.options.network?.interfaces?.[0]?.addresses).toEqual(["10.5.0.2/24"]);
  expect(fake.passes[1]?.options.adopt?.map((r) => r.name)).toEqual(["eth0", "eth1"]);
  expect(lines).toContain("network: applying the config's machine.network");

  await setup.stop();
  expect(fake.passes.map((p) => p.stopped)).toEqual([false, true]);
});

test("passes never overlap: a config applied during the first pass waits for it", async () => {
  const fake = fakeConfigure();
  const open = fake.hold();
  const setup = networkSetup({
    configure: fake.configure,
    root: "/system",
    resolvConfPath: "etc/resolv.conf",
    clock: new FakeClock(),
    log: () => {},
  });
  const first = setup.apply(undefined);
  const second = setup.apply(config("eth1", "10.5.0.2/24"));
  await settle();
  expect(fake.passes).toHaveLength(1);
  open();
  await Promise.all([first, second]);
  expect(fake.passes).toHaveLength(2);
  expect(fake.passes[1]?.options.adopt?.map((r) => r.name)).toEqual(["eth0", "eth1"]);
});

test("a pass that throws is reported to its caller and does not block the next", async () => {
  let calls = 0;
  const setup = networkSetup({
    configure: async () => {
      calls += 1;
      if (calls === 1) throw new Error("rtnetlink: EPERM");
      return { interfaces: [], failures: [], stop: async () => {}, release: () => [] };
    },
    root: "/system",
    resolvConfPath: "etc/resolv.conf",
    clock: new FakeClock(),
    log: () => {},
  });
  await expect(setup.apply(undefined)).rejects.toThrow("rtnetlink: EPERM");
  await setup.apply(undefined);
  expect(calls).toBe(2);
  expect(setup.passes).toBe(1);
});

test("describeNetwork: one line per interface, and a count of problems", () => {
  expect(
    describeNetwork({
      interfaces: [
        {
          name: "eth0",
          path: "machine.network",
          up: true,
          addresses: ["10.0.2.15/24"],
          routes: [],
          dhcp: { state: "bound" },
        },
        { name: "eth1", path: "machine.network.interfaces[0]", up: true, addresses: [], routes: [] },
      ],
      failures: [
        { interface: "eth1", path: "machine.network.interfaces[0].addresses[0]", message: "EEXIST" },
      ],
    }),
  ).toEqual([
    "network: eth0: 10.0.2.15/24 (DHCP bound)",
    "network: eth1: no address",
    "network: 1 problem(s), see above",
  ]);
});
