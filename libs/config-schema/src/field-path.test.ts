import { expect, test } from "bun:test";
import { formatPath, getIn, parsePointer, pointerToPath } from "./field-path.ts";

test("formatPath uses dots, indices and quoted odd keys", () => {
  expect(formatPath(["machine", "network", "interfaces", 0, "addresses", 1])).toBe(
    "machine.network.interfaces[0].addresses[1]",
  );
  expect(formatPath(["machine", "sysctls", "net.ipv4.ip_forward"])).toBe(
    'machine.sysctls["net.ipv4.ip_forward"]',
  );
  expect(formatPath(["extraArgs", "max-pods"])).toBe("extraArgs.max-pods");
  expect(formatPath([])).toBe("");
  expect(formatPath([0, "a"])).toBe("[0].a");
});

test("JSON pointers", () => {
  expect(parsePointer("/machine/files/0/path")).toEqual(["machine", "files", "0", "path"]);
  expect(parsePointer("/a~1b/c~0d")).toEqual(["a/b", "c~d"]);
  expect(parsePointer("")).toEqual([]);
  expect(parsePointer("machine")).toBeUndefined();
  expect(pointerToPath(["machine", "files", "0", "01", "-"])).toEqual(["machine", "files", 0, "01", "-"]);
});

test("getIn", () => {
  expect(getIn({ a: [{ b: 1 }] }, ["a", 0, "b"])).toBe(1);
  expect(getIn({ a: 1 }, ["a", "b"])).toBeUndefined();
});
