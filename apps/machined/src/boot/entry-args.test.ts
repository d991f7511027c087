import { describe, expect, test } from "bun:test";
import { EntryArgsError, parseMachinedFlags, resolveApplet } from "./entry-args.ts";

describe("resolveApplet", () => {
  test("by the name the binary was started as", () => {
    expect(resolveApplet("/init", undefined)).toBe("stage1");
    expect(resolveApplet("/sbin/init", undefined)).toBe("machined");
    expect(resolveApplet("init", undefined)).toBe("machined");
    expect(resolveApplet("/usr/bin/machined", undefined)).toBe("machined");
    expect(resolveApplet("/stage1", undefined)).toBe("stage1");
    expect(resolveApplet("apid", undefined)).toBe("apid");
    expect(resolveApplet("/bin/trustd", "/bin/trustd")).toBe("trustd");
  });
  test("under bun, by the script's name, machined by default", () => {
    expect(resolveApplet("bun", "/work/apps/machined/src/main.ts")).toBe("machined");
    expect(resolveApplet("bun", "/tmp/apid.ts")).toBe("apid");
    expect(resolveApplet("bun", undefined)).toBe("machined");
  });
});

describe("parseMachinedFlags", () => {
  test("container mode flags, both spellings", () => {
    expect(
      parseMachinedFlags([
        "--platform",
        "container",
        "--root=/tmp/n",
        "--cmdline",
        "a=1 b",
        "--config",
        "w.yaml",
      ]),
    ).toEqual({ platform: "container", root: "/tmp/n", cmdline: "a=1 b", config: "w.yaml" });
    expect(parseMachinedFlags([])).toEqual({});
  });
  test("--node-binary and the ports of apid and trustd", () => {
    expect(
      parseMachinedFlags([
        ...["--node-binary", "/x/bronze-node", "--apid-port", "52000", "--trustd-port=52001"],
        ...["--apid-node-port", "52002"],
      ]),
    ).toEqual({
      nodeBinary: "/x/bronze-node",
      apidPort: 52000,
      apidNodePort: 52002,
      trustdPort: 52001,
    });
  });
  test("--config takes a URL too", () => {
    expect(parseMachinedFlags(["--config", "http://10.0.0.1/x.yaml"])).toEqual({
      configUrl: "http://10.0.0.1/x.yaml",
    });
  });
  test("bad flags are errors saying what is wrong", () => {
    const cases: Array<[string[], string]> = [
      [["--platform", "vm"], "--platform must be one of metal, qemu, container"],
      [["--nope", "1"], "unknown flag --nope"],
      [["--root"], "--root needs a value"],
      [["stray"], 'unexpected argument "stray"'],
      [["--root", "a", "--root", "b"], "--root is given twice"],
      [["--config", "a.yaml", "--config-url", "http://x/"], "not both"],
      [["--apid-port", "0"], "--apid-port must be a TCP port, 1 to 65535"],
      [["--trustd-port", "http"], "--trustd-port must be a TCP port"],
    ];
    for (const [argv, message] of cases) {
      let err: unknown;
      try {
        parseMachinedFlags(argv);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EntryArgsError);
      expect((err as Error).message).toContain(message);
    }
  });
});
