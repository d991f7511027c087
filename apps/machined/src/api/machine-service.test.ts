import { afterAll, expect, test } from "bun:test";
import { MachineService } from "@bronze/api";
import { createMachineService } from "./machine-service.ts";
import { makeFixture } from "./testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());

test("every MachineService method has a handler", () => {
  const impl = createMachineService(f.ctx, { shutdown: new AbortController().signal }) as unknown as Record<
    string,
    unknown
  >;
  const missing = MachineService.methods
    .filter((m) => typeof impl[m.localName] !== "function")
    .map((m) => m.name);
  expect(missing).toEqual([]);
});
