import { describe, expect, test } from "bun:test";
import { CONTROLPLANE_YAML, WORKER_YAML } from "../test/fixtures.ts";
import { formatIssue } from "./format-issue.ts";
import { validateConfig } from "./validate.ts";

describe("valid configs", () => {
  test("the control-plane corpus config is valid in every mode, with all its documents", () => {
    for (const mode of ["metal", "qemu"] as const) {
      const result = validateConfig(CONTROLPLANE_YAML, { mode, strict: true });
      expect(result.errors).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.config?.machine.type).toBe("controlplane");
    }
    const result = validateConfig(CONTROLPLANE_YAML, { mode: "container" });
    expect(result.ok).toBe(true);
    expect(result.documents.map((d) => [d.index, d.kind, d.name])).toEqual([
      [0, "v1alpha1", undefined],
      [1, "KmsgLogConfig", "remote-log"],
      [2, "ExtensionServiceConfig", "nut-client"],
      [3, "WatchdogTimerConfig", undefined],
    ]);
  });
  test("the worker corpus config is valid", () => {
    const result = validateConfig(WORKER_YAML, { mode: "metal", strict: true });
    expect(result.errors).toEqual([]);
    expect(result.config?.cluster.controlPlane?.endpoint).toBe("https://10.0.0.10:6443");
  });
});

describe("positions", () => {
  test("invalid values point at the value, unknown fields at the key, missing fields at the parent map", () => {
    const text = [
      "version: v1alpha1", // 1
      "machine:", // 2
      "  type: worker", // 3
      "  tokn: abc", // 4
      "  network:", // 5
      "    interfaces:", // 6
      "      - interface: eth0", // 7
      "        addresses: [10.0.0.5/24, 10.0.0.6]", // 8
      "cluster:", // 9
      "  controlPlane: {}", // 10
    ].join("\n");
    const { errors } = validateConfig(text, { mode: "qemu" });
    const find = (path: string, code: string) => errors.find((e) => e.path === path && e.code === code);
    expect(find("machine.tokn", "unknown_field")).toMatchObject({ line: 4, column: 3 });
    expect(find("machine.tokn", "unknown_field")?.message).toBe(
      'unknown field "tokn" (did you mean "token"?)',
    );
    expect(find("machine.network.interfaces[0].addresses[1]", "invalid_cidr")).toMatchObject({
      line: 8,
      column: 34,
    });
    expect(find("cluster.controlPlane.endpoint", "required")).toMatchObject({ line: 10, column: 17 });
    // machine.token is required (type rule) and missing: the machine map starts at 3:3
    expect(find("machine.token", "required")).toMatchObject({ line: 3, column: 3 });
  });

  test("reports every error at once, sorted by position", () => {
    const text =
      "version: v1alpha1\nmachine:\n  type: worker\n  token: t\n  network: {hostname: a_b}\ncluster:\n  token: nope\n  extra: 1\n";
    const { errors } = validateConfig(text, { mode: "container" });
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.code}`)).toEqual([
      "3:3 machine.ca.crt required",
      "4:10 machine.token invalid_token",
      "5:23 machine.network.hostname invalid_hostname",
      "7:3 cluster.ca.crt required",
      "7:3 cluster.controlPlane.endpoint required",
      "7:10 cluster.token invalid_token",
      "8:3 cluster.extra unknown_field",
    ]);
  });

  test("an invalid machine type skips the type rules instead of guessing", () => {
    const text = "version: v1alpha1\nmachine:\n  type: boss\ncluster: {}\n";
    const { errors } = validateConfig(text, { mode: "container" });
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.code}`)).toEqual([
      "3:9 machine.type invalid_value",
    ]);
  });

  test("a document after others gets positions in the whole stream", () => {
    const text = `${WORKER_YAML}---\napiVersion: v1alpha1\nkind: KmsgLogConfig\nname: logs\nurl: http://x:1\n`;
    const lines = WORKER_YAML.split("\n").length;
    const { errors } = validateConfig(text, { mode: "metal" });
    expect(errors).toEqual([
      expect.objectContaining({ path: "url", line: lines + 4, column: 6, document: 1, code: "invalid_url" }),
    ]);
  });
});

describe("YAML syntax errors", () => {
  test("are reported with positions, alone", () => {
    const text = "version: v1alpha1\nmachine:\n  type: worker\n   token: x\ncluster: [\n";
    const result = validateConfig(text, { mode: "metal" });
    expect(result.ok).toBe(false);
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors.every((e) => e.code === "yaml_syntax")).toBe(true);
    expect(result.errors[0]).toMatchObject({ line: 3, column: 9, path: "" });
    expect(result.errors.at(-1)).toMatchObject({ line: 6, column: 1 });
    expect(result.documents).toEqual([]);
  });
  test("duplicate keys are errors", () => {
    const result = validateConfig("version: v1alpha1\nversion: v1alpha1\n", { mode: "metal" });
    expect(result.errors).toEqual([expect.objectContaining({ code: "duplicate_key", line: 2, column: 1 })]);
  });
  test("alias bombs are refused", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 6; i++)
      bomb.push(
        `${"bcdefg"[i]}: &${"bcdefg"[i]} [${Array(10)
          .fill(`*${i === 0 ? "a" : "bcdefg"[i - 1]}`)
          .join(", ")}]`,
      );
    const result = validateConfig(bomb.join("\n"), { mode: "metal" });
    expect(result.ok).toBe(false);
    expect(result.errors[0]?.code).toBe("yaml_syntax");
  });
});

describe("documents", () => {
  test("an empty stream has no machine config", () => {
    expect(validateConfig("", { mode: "metal" }).errors).toEqual([
      {
        path: "",
        line: 1,
        column: 1,
        message: expect.stringContaining("no v1alpha1"),
        severity: "error",
        code: "missing_machine_config",
        document: 0,
      },
    ]);
  });
  test("the machine config may come after typed documents; leading and trailing --- are fine", () => {
    const text = `---\napiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevice: /dev/watchdog0\n---\n${WORKER_YAML}---\n`;
    const result = validateConfig(text, { mode: "metal" });
    expect(result.errors).toEqual([]);
    expect(result.documents.map((d) => d.kind)).toEqual(["WatchdogTimerConfig", "v1alpha1"]);
  });
  test("config is only returned when ok", () => {
    const result = validateConfig(WORKER_YAML.replace("type: worker", "type: nope"), { mode: "metal" });
    expect(result.ok).toBe(false);
    expect(result.config).toBeUndefined();
  });
});

describe("bounded work and reports (security review C2)", () => {
  const bytes = (s: string) => Buffer.byteLength(s, "utf8");

  test("4,000 empty machine.files entries: 16,000 issues found, 100 reported and the rest counted", () => {
    // 14 KB that took 53 s (quadratic dedupe) and produced a 1 MB error message.
    const text = WORKER_YAML.replace(
      /^machine:\n/m,
      `machine:\n  files: [${Array(4000).fill("{}").join(",")}]\n`,
    );
    const result = validateConfig(text, { mode: "metal" });
    expect(result.ok).toBe(false);
    expect(result.errors).toHaveLength(101);
    expect(result.errors[0]).toMatchObject({ path: "machine.files[0].content", code: "required" });
    expect(result.errors.at(-1)).toMatchObject({
      code: "too_many_issues",
    });
    expect(result.errors.at(-1)?.message).toStartWith("… and 15900 more errors not shown");
    const report = result.errors.map((e) => formatIssue(e)).join("\n");
    expect(bytes(report)).toBeLessThan(16 * 1024);
  });

  test("an issue never quotes more than 1 KiB of the input, nor a path more than 256 bytes", () => {
    const image = `ghcr.io/${"K".repeat(50_000)}`;
    const key = "k".repeat(50_000);
    const text = WORKER_YAML.replace("ghcr.io/bronze/installer:v0.1.0", image).replace(
      "  type: worker",
      `  type: worker\n  ? ${key}\n  : 1`,
    );
    const { errors } = validateConfig(text, { mode: "metal" });
    const invalid = errors.find((e) => e.code === "invalid_image");
    expect(invalid?.message).toStartWith('"ghcr.io/KKKK');
    expect(invalid?.message).toEndWith("…");
    expect(bytes(invalid?.message ?? "")).toBeLessThanOrEqual(1024);
    const unknown = errors.find((e) => e.code === "unknown_field");
    expect(unknown?.path).toStartWith("machine.kkkk");
    expect(bytes(unknown?.path ?? "")).toBeLessThanOrEqual(256);
    expect(bytes(unknown?.message ?? "")).toBeLessThanOrEqual(1024);
  });

  test("a text past a limit is refused before parsing: size, lines, documents", () => {
    const result = validateConfig(`${WORKER_YAML}#${"x".repeat(8 * 1024 * 1024)}\n`, { mode: "metal" });
    expect(result.errors.map((e) => e.code)).toEqual(["config_too_large"]);
    expect(result.errors[0]?.message).not.toContain("xxx");
  });
});
