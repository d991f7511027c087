import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { substituteUrl, sysfsUrlVariables, UrlSubstitutionError } from "./url-variables.ts";

let sys: string;
beforeEach(() => {
  sys = mkdtempSync(join(tmpdir(), "sysfs-"));
});
afterEach(() => rmSync(sys, { recursive: true, force: true }));

function put(path: string, text: string) {
  mkdirSync(join(sys, path, ".."), { recursive: true });
  writeFileSync(join(sys, path), text);
}

describe("sysfsUrlVariables", () => {
  test("reads the first real MAC, the DMI uuid (lower case) and serial", () => {
    put("class/net/lo/address", "00:00:00:00:00:00\n");
    put("class/net/eth1/address", "52:54:00:00:00:02\n");
    put("class/net/eth0/address", "52:54:00:00:00:01\n");
    put("class/dmi/id/product_uuid", "4C4C4544-0042\n");
    put("class/dmi/id/product_serial", "SN 123\n");
    const v = sysfsUrlVariables(() => "node-1", sys);
    expect(v.mac()).toBe("52:54:00:00:00:01");
    expect(v.uuid()).toBe("4c4c4544-0042");
    expect(v.serial()).toBe("SN 123");
    expect(v.hostname()).toBe("node-1");
  });

  test("missing files give undefined", () => {
    const v = sysfsUrlVariables(() => undefined, sys);
    expect([v.mac(), v.uuid(), v.serial(), v.hostname()]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe("substituteUrl", () => {
  const providers = {
    mac: () => "52:54:00:00:00:01",
    uuid: () => "u-1",
    serial: () => "SN 1/2",
    hostname: () => undefined,
  };
  test("replaces every variable, URL-encoded", () => {
    expect(substituteUrl(`http://h/\${mac}/\${uuid}?s=\${serial}&again=\${uuid}`, providers)).toBe(
      "http://h/52%3A54%3A00%3A00%3A00%3A01/u-1?s=SN%201%2F2&again=u-1",
    );
  });
  test("unknown and unavailable variables are typed errors", () => {
    const attempt = (url: string) => {
      try {
        substituteUrl(url, providers);
      } catch (e) {
        return e as UrlSubstitutionError;
      }
      throw new Error("expected an error");
    };
    expect(attempt(`http://h/\${ip}`).code).toBe("UnknownVariable");
    const unavailable = attempt(`http://h/\${hostname}`);
    expect(unavailable).toBeInstanceOf(UrlSubstitutionError);
    expect(unavailable.code).toBe("Unavailable");
    expect(unavailable.variable).toBe("hostname");
  });
});
