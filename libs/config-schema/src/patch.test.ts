import { describe, expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { CONTROLPLANE_YAML, WORKER_YAML } from "../test/fixtures.ts";
import { ConfigError } from "./config-error.ts";
import { applyPatches } from "./patch.ts";
import { at } from "./raw.ts";
import { validateConfig } from "./validate.ts";

const docs = (text: string): unknown[] => parseAllDocuments(text).map((d) => d.toJS());

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("strategic merge patches", () => {
  test("merge into the machine config and keep it valid", () => {
    const out = applyPatches(WORKER_YAML, [
      "machine:\n  network:\n    hostname: worker-7\n    nameservers: [9.9.9.9]\n",
    ]);
    const [config] = docs(out);
    expect(at(config, "machine", "network", "hostname")).toBe("worker-7");
    expect(at(config, "machine", "network", "nameservers")).toEqual(["9.9.9.9"]);
    expect(at(config, "machine", "network", "interfaces")).toEqual([{ interface: "eth0", dhcp: true }]);
    expect(validateConfig(out, { mode: "metal" }).ok).toBe(true);
  });

  test("patches apply in order", () => {
    const out = applyPatches(WORKER_YAML, [
      "machine:\n  network:\n    hostname: a\n",
      "machine:\n  network:\n    hostname: b\n",
    ]);
    expect(at(docs(out)[0], "machine", "network", "hostname")).toBe("b");
  });

  test("typed documents: patch by kind+name, add new ones, delete with $patch", () => {
    const out = applyPatches(CONTROLPLANE_YAML, [
      "apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: remote-log\nurl: udp://10.0.0.2:514\n",
      "apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: second\nurl: tcp://10.0.0.3:5170\n---\napiVersion: v1alpha1\nkind: WatchdogTimerConfig\n$patch: delete\n",
    ]);
    const all = docs(out);
    expect(all.map((d) => at(d, "kind") ?? at(d, "version"))).toEqual([
      "v1alpha1",
      "KmsgLogConfig",
      "ExtensionServiceConfig",
      "KmsgLogConfig",
    ]);
    expect(at(all[1], "url")).toBe("udp://10.0.0.2:514");
    expect(at(all[3], "name")).toBe("second");
  });

  test("the output has a stable key order, whatever the order of the patch", () => {
    const a = applyPatches(WORKER_YAML, [
      "machine:\n  time:\n    disabled: true\n  env:\n    B: '1'\n    A: '2'\n",
    ]);
    const b = applyPatches(WORKER_YAML, [
      "machine:\n  env:\n    A: '2'\n    B: '1'\n  time:\n    disabled: true\n",
    ]);
    expect(a).toBe(b);
    expect(a.indexOf("env:")).toBeGreaterThan(a.indexOf("time:"));
  });

  test("$patch: delete on the machine config is refused", () => {
    const err = configError(() => applyPatches(WORKER_YAML, ["machine:\n  type: worker\n$patch: delete\n"]));
    expect(err.code).toBe("patch");
    expect(err.issues[0]).toMatchObject({ code: "patch_invalid", path: "$patch", line: 3, column: 9 });
  });

  test("deleting a typed document that does not exist is an error", () => {
    const err = configError(() =>
      applyPatches(WORKER_YAML, ["apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: nope\n$patch: delete\n"]),
    );
    expect(err.code).toBe("patch");
    expect(err.issues[0]?.code).toBe("patch_no_target");
  });

  test("a typed patch for a named kind needs its name", () => {
    const err = configError(() =>
      applyPatches(WORKER_YAML, ["apiVersion: v1alpha1\nkind: KmsgLogConfig\nurl: tcp://h:1\n"]),
    );
    expect(err.issues[0]).toMatchObject({ code: "patch_invalid", line: 1, column: 1 });
    expect(err.issues[0]?.message).toContain("needs the name");
  });
});

describe("JSON patches (RFC 6902)", () => {
  test("a patch that parses to a list is a JSON patch (YAML or JSON text)", () => {
    const yamlOps =
      "- op: replace\n  path: /machine/network/hostname\n  value: w9\n- op: add\n  path: /machine/certSANs\n  value: [w9.example]\n";
    const jsonOps = JSON.stringify([{ op: "add", path: "/machine/certSANs/-", value: "10.0.0.9" }]);
    const config = docs(applyPatches(WORKER_YAML, [yamlOps, jsonOps]))[0];
    expect(at(config, "machine", "network", "hostname")).toBe("w9");
    expect(at(config, "machine", "certSANs")).toEqual(["w9.example", "10.0.0.9"]);
  });

  test("a failing op names the patch index and op index, at the op's position", () => {
    const ops =
      "- op: test\n  path: /machine/type\n  value: worker\n- op: remove\n  path: /machine/install/wipe\n";
    const err = configError(() => applyPatches(WORKER_YAML, ["machine:\n  env: {A: b}\n", ops]));
    expect(err.code).toBe("patch");
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({
      path: "machine.install.wipe",
      line: 5,
      column: 9,
      code: "patch_path_not_found",
    });
    expect(err.issues[0]?.message).toStartWith("patch 1, op 1 (remove /machine/install/wipe): ");
    expect(err.message).toContain("patch 1 cannot apply");
  });

  test("a JSON patch must be a single document", () => {
    const err = configError(() =>
      applyPatches(WORKER_YAML, ["- op: remove\n  path: /debug\n---\n- op: remove\n  path: /x\n"]),
    );
    expect(err.code).toBe("patch");
    expect(err.issues[0]?.line).toBe(4);
  });
});

describe("failures", () => {
  test("YAML syntax errors in a patch are 'yaml' errors with positions", () => {
    const err = configError(() => applyPatches(WORKER_YAML, ["machine:\n  network: {hostname: x\n"]));
    expect(err.code).toBe("yaml");
    expect(err.issues[0]?.code).toBe("yaml_syntax");
    expect(err.issues[0]?.message).toStartWith("patch 0: ");
    expect(err.issues[0]?.line).toBeGreaterThanOrEqual(2);
  });

  test("YAML syntax errors in the base are 'yaml' errors", () => {
    expect(configError(() => applyPatches("a: [\n", [])).code).toBe("yaml");
  });

  test("a patch that makes the config invalid is 'invalid' with field paths", () => {
    const err = configError(() =>
      applyPatches(WORKER_YAML, [
        "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [10.0.0.300/24]\n        mtu: 10\n",
      ]),
    );
    expect(err.code).toBe("invalid");
    expect(err.issues.map((i) => [i.path, i.code])).toEqual([
      ["machine.network.interfaces[0].addresses[0]", "invalid_cidr"],
      ["machine.network.interfaces[0].mtu", "out_of_range"],
    ]);
    expect(err.issues.every((i) => i.line > 1)).toBe(true);
    // positions refer to the patched output, which the error carries
    const line = err.source?.split("\n")[(err.issues[1]?.line ?? 0) - 1];
    expect(line?.trim()).toBe("mtu: 10");
  });

  test("the result is validated in the given mode", () => {
    const patch = "- op: remove\n  path: /machine/install/disk\n";
    expect(() => applyPatches(WORKER_YAML, [patch])).not.toThrow();
    const err = configError(() => applyPatches(WORKER_YAML, [patch], { mode: "metal" }));
    expect(err.issues.map((i) => i.code)).toEqual(["install_disk_required"]);
  });

  test("strategic patch documents must be maps; lists cannot be mixed with maps", () => {
    expect(
      configError(() => applyPatches(WORKER_YAML, ["machine: {}\n---\n- op: remove\n  path: /x\n"])).issues[0]
        ?.code,
    ).toBe("patch_invalid");
    expect(configError(() => applyPatches(WORKER_YAML, ["just a string\n"])).issues[0]?.code).toBe(
      "patch_invalid",
    );
  });
});

test("an empty patch changes nothing but the formatting", () => {
  const out = applyPatches(WORKER_YAML, ["", "# only a comment\n"]);
  expect(docs(out)).toEqual(docs(WORKER_YAML));
});
