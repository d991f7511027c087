import { describe, expect, test } from "bun:test";
import {
  MACHINE_CONFIG_MERGE_RULES,
  MergeFailure,
  materialise,
  NO_MERGE_RULES,
  strategicMerge,
} from "./strategic-merge.ts";

const merge = (base: unknown, patch: unknown) => strategicMerge(base, patch, MACHINE_CONFIG_MERGE_RULES);

describe("maps and scalars", () => {
  test("maps merge recursively, scalars replace, base is not mutated", () => {
    const base = { machine: { type: "worker", network: { hostname: "a", nameservers: ["1.1.1.1"] } } };
    const out = merge(base, { machine: { network: { hostname: "b" }, token: "t" } });
    expect(out).toEqual({
      machine: { type: "worker", network: { hostname: "b", nameservers: ["1.1.1.1"] }, token: "t" },
    });
    expect(base.machine.network.hostname).toBe("a");
  });
  test("$patch: delete removes a map", () => {
    expect(
      merge(
        { machine: { install: { disk: "/dev/sda" }, type: "worker" } },
        { machine: { install: { $patch: "delete" } } },
      ),
    ).toEqual({ machine: { type: "worker" } });
  });
  test("$patch: replace replaces a map instead of merging", () => {
    expect(
      merge({ machine: { env: { A: "1", B: "2" } } }, { machine: { env: { $patch: "replace", C: "3" } } }),
    ).toEqual({ machine: { env: { C: "3" } } });
  });
  test("unknown directives fail with the path inside the patch", () => {
    try {
      merge({ machine: {} }, { machine: { env: { $patch: "merge" } } });
      throw new Error("expected a failure");
    } catch (err) {
      expect(err).toBeInstanceOf(MergeFailure);
      expect((err as MergeFailure).path).toEqual(["machine", "env", "$patch"]);
    }
  });
  test("deleting the whole document returns undefined", () => {
    expect(merge({ a: 1 }, { $patch: "delete" })).toBeUndefined();
  });
});

describe("lists", () => {
  test("append by default", () => {
    expect(
      merge(
        { machine: { install: { extraKernelArgs: ["a"] } } },
        { machine: { install: { extraKernelArgs: ["b"] } } },
      ),
    ).toEqual({ machine: { install: { extraKernelArgs: ["a", "b"] } } });
  });
  test.each(MACHINE_CONFIG_MERGE_RULES.replace.map((p) => [p]))("%s is replaced", (pattern) => {
    const path = pattern.split(".");
    const nest = (leaf: unknown) => path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), leaf);
    expect(merge(nest(["10.0.0.0/8"]), nest(["fd00::/8"]))).toEqual(nest(["fd00::/8"]));
  });
  test("certSANs append without duplicates", () => {
    expect(merge({ machine: { certSANs: ["a", "b"] } }, { machine: { certSANs: ["b", "c"] } })).toEqual({
      machine: { certSANs: ["a", "b", "c"] },
    });
    expect(
      merge({ cluster: { apiServer: { certSANs: ["a"] } } }, { cluster: { apiServer: { certSANs: ["a"] } } }),
    ).toEqual({ cluster: { apiServer: { certSANs: ["a"] } } });
  });
  test("interfaces merge by name; new ones append; $patch: delete removes one", () => {
    const base = {
      machine: {
        network: {
          interfaces: [
            { interface: "eth0", dhcp: true, addresses: ["10.0.0.5/24"] },
            { interface: "eth1", dhcp: true },
          ],
        },
      },
    };
    const out = merge(base, {
      machine: {
        network: {
          interfaces: [
            { interface: "eth0", mtu: 9000, addresses: ["10.0.0.6/24"] },
            { interface: "eth1", $patch: "delete" },
            { interface: "eth2", dhcp: true },
          ],
        },
      },
    });
    expect(out).toEqual({
      machine: {
        network: {
          interfaces: [
            { interface: "eth0", dhcp: true, addresses: ["10.0.0.5/24", "10.0.0.6/24"], mtu: 9000 },
            { interface: "eth2", dhcp: true },
          ],
        },
      },
    });
  });
  test("vlans merge by vlanId inside a merged interface", () => {
    const base = {
      machine: { network: { interfaces: [{ interface: "eth0", vlans: [{ vlanId: 10, dhcp: true }] }] } },
    };
    const out = merge(base, {
      machine: {
        network: {
          interfaces: [
            {
              interface: "eth0",
              vlans: [
                { vlanId: 10, mtu: 1400 },
                { vlanId: 20, dhcp: true },
              ],
            },
          ],
        },
      },
    });
    expect(out).toEqual({
      machine: {
        network: {
          interfaces: [
            {
              interface: "eth0",
              vlans: [
                { vlanId: 10, dhcp: true, mtu: 1400 },
                { vlanId: 20, dhcp: true },
              ],
            },
          ],
        },
      },
    });
  });
  test("kernel modules merge by name", () => {
    const out = merge(
      { machine: { kernel: { modules: [{ name: "nf_conntrack", parameters: ["a=1"] }] } } },
      { machine: { kernel: { modules: [{ name: "nf_conntrack", parameters: ["b=2"] }] } } },
    );
    expect(out).toEqual({
      machine: { kernel: { modules: [{ name: "nf_conntrack", parameters: ["a=1", "b=2"] }] } },
    });
  });
  test("a keyed delete of an absent item is a no-op, and directives never leak into output", () => {
    const out = merge(
      { machine: { network: { interfaces: [{ interface: "eth0", dhcp: true }] } } },
      { machine: { network: { interfaces: [{ interface: "eth9", $patch: "delete" }] } } },
    );
    expect(out).toEqual({ machine: { network: { interfaces: [{ interface: "eth0", dhcp: true }] } } });
  });
  test("without rules (typed documents) lists append", () => {
    expect(strategicMerge({ environment: ["A=1"] }, { environment: ["B=2"] }, NO_MERGE_RULES)).toEqual({
      environment: ["A=1", "B=2"],
    });
  });
});

test("materialise strips directives", () => {
  expect(materialise({ a: { $patch: "replace", b: 1 }, c: [{ $patch: "delete" }, 2] })).toEqual({
    a: { b: 1 },
    c: [2],
  });
  expect(materialise({ $patch: "delete" })).toBeUndefined();
});
