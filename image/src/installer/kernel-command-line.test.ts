// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac}-style variables are literal text here
import { describe, expect, test } from "bun:test";
import { InstallerError } from "./installer-error.ts";
import { kernelCommandLine } from "./kernel-command-line.ts";

const BASE = "console=ttyS0 console=tty0 slab_nomerge pti=on bronze.platform=qemu\n";

describe("installed kernel command line", () => {
  test("the platform replaces the image's, the config URL is added, extras come last", () => {
    expect(
      kernelCommandLine({
        base: BASE,
        platform: "metal",
        configUrl: "http://10.0.0.1:8080/${mac}.yaml",
        extra: ["console=ttyS0"],
      }),
    ).toEqual([
      "console=ttyS0",
      "console=tty0",
      "slab_nomerge",
      "pti=on",
      "bronze.platform=metal",
      "bronze.config=http://10.0.0.1:8080/${mac}.yaml",
      "console=ttyS0",
    ]);
    expect(kernelCommandLine({ base: `${BASE} bronze.config=http://old/`, platform: "qemu" })).not.toContain(
      "bronze.config=http://old/",
    );
  });

  test("bad platform, URL or argument: BadInput naming the value", () => {
    const bad = (f: () => unknown, message: RegExp) => {
      try {
        f();
        throw new Error("no error");
      } catch (err) {
        expect(err).toBeInstanceOf(InstallerError);
        expect((err as InstallerError).code).toBe("BadInput");
        expect((err as Error).message).toMatch(message);
      }
    };
    // @ts-expect-error: a platform from the command line
    bad(() => kernelCommandLine({ base: BASE, platform: "aws" }), /platform "aws" is not one of metal, qemu/);
    bad(() => kernelCommandLine({ base: BASE, platform: "metal", configUrl: "ftp://x/c" }), /must be http/);
    bad(
      () => kernelCommandLine({ base: BASE, platform: "metal", configUrl: "c.yaml" }),
      /not an absolute URL/,
    );
    bad(() => kernelCommandLine({ base: BASE, platform: "metal", extra: ["a b"] }), /one word/);
  });
});
