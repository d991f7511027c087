import { expect, test } from "bun:test";
import { BRONZE_VERSION } from "@bronze/api";
import { runOsctl } from "./run-osctl.ts";

test("runs the real CLI: its version, and a usage error's exit code and message", async () => {
  const version = await runOsctl(["--version"]);
  expect(version).toEqual({ code: 0, stdout: `${BRONZE_VERSION}\n`, stderr: "" });
  const bad = await runOsctl(["config", "new"]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("missing required argument 'output-file'");
});
