import { expect, test } from "bun:test";
import { QEMU, requireQemu } from "./qemu-host.ts";

test("QEMU missing from the PATH: refused, saying which package installs it", () => {
  const looked: string[] = [];
  const nowhere = (command: string) => {
    looked.push(command);
    return null;
  };
  expect(() => requireQemu(nowhere)).toThrow(
    expect.objectContaining({
      code: "not-found",
      message: "qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86)",
    }),
  );
  expect(looked).toEqual([QEMU]);
  expect(() => requireQemu(() => "/usr/bin/qemu-system-x86_64")).not.toThrow();
});
