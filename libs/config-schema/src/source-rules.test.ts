import { expect, test } from "bun:test";
import { WORKER_YAML } from "../test/fixtures.ts";
import { validateConfig } from "./validate.ts";

const withFile = (permissions: string) =>
  WORKER_YAML.replace(
    "  kubelet:\n",
    `  files:\n    - content: x\n      permissions: ${permissions}\n      path: /var/x\n      op: create\n  kubelet:\n`,
  );

test("0644 (decimal in YAML 1.2) is refused with the octal spelling to use", () => {
  const result = validateConfig(withFile("0644"), { mode: "metal" });
  expect(result.errors).toHaveLength(1);
  expect(result.errors[0]).toMatchObject({
    path: "machine.files[0].permissions",
    code: "ambiguous_octal",
    line: 24,
    column: 20,
  });
  expect(result.errors[0]?.message).toContain("write 0o644");
});

test("0o644 and plain decimals are fine", () => {
  expect(validateConfig(withFile("0o644"), { mode: "metal" }).errors).toEqual([]);
  expect(validateConfig(withFile("420"), { mode: "metal" }).errors).toEqual([]);
  expect(validateConfig(withFile("0"), { mode: "metal" }).errors).toEqual([]);
});
