import { expect, test } from "bun:test";
import { join } from "node:path";
import { COMPONENT_MARKERS, tierOf, unitTestsNeedingMore } from "./test-tiers.ts";

test("the tier is in the file name", () => {
  expect(tierOf("apps/machined/src/services/apid.component.test.ts")).toBe("components");
  expect(tierOf("image/test/boot.e2e.test.ts")).toBe("e2e");
  expect(tierOf("tests/e2e/qemu-cluster.test.ts")).toBe("e2e");
  expect(tierOf("tests/e2e/src/run-osctl.test.ts")).toBe("unit");
  expect(tierOf("apps/machined/src/supervisor/feed.test.ts")).toBe("unit");
});

test("the markers recognise what only component tests do", () => {
  const marked = (source: string) =>
    COMPONENT_MARKERS.filter((m) => m.pattern.test(source)).map((m) => m.why);
  expect(marked("const env = useContainerd();")).toEqual(["starts a containerd"]);
  expect(marked('Bun.spawnSync(["mount", "-t", "tmpfs", "x", dir])')).toEqual(["runs a privileged tool"]);
  // A fake's record of a mount call is not one.
  expect(marked('expect(sys.calls).toEqual([["mount", "/dev", "/root/dev", null]])')).toEqual([]);
  expect(marked("expect(parseFlags(['--platform', 'metal'])).toEqual({})")).toEqual([]);
});

test("no unit test of this repository needs what only a component test may use", () => {
  // This file quotes the markers as examples.
  const found = unitTestsNeedingMore(join(import.meta.dir, "..")).filter(
    (f) => f.file !== "scripts/test-tiers.test.ts",
  );
  expect(found).toEqual([]);
});
