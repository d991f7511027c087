import { describe, expect, test } from "bun:test";
import { ImageError } from "./image-error.ts";
import { runTool } from "./run-tool.ts";

describe("runTool", () => {
  test("returns stdout, runs in cwd with env", async () => {
    expect(await runTool(["sh", "-c", 'pwd; echo "$X"'], { cwd: "/tmp", env: { X: "y" } })).toBe("/tmp\ny\n");
  });

  test("a failing tool is a ToolFailed error with its status and stderr", async () => {
    const error = await runTool(["sh", "-c", "echo bad thing >&2; exit 3"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).code).toBe("ToolFailed");
    expect((error as ImageError).message).toBe("sh -c echo bad thing >&2; exit 3 exited with 3:\nbad thing");
  });

  test("a missing tool is a ToolFailed error naming it", async () => {
    const error = (await runTool(["/nonexistent/tool"]).catch((e: unknown) => e)) as ImageError;
    expect(error.code).toBe("ToolFailed");
    expect(error.message).toContain("/nonexistent/tool");
  });
});
