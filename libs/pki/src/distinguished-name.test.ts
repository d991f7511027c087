import { describe, expect, test } from "bun:test";
import { distinguishedName } from "./distinguished-name.ts";

describe("distinguishedName", () => {
  test("O before CN (Go's order), organizations de-duplicated, no O when there is none", () => {
    expect(distinguishedName("admin", ["os:admin", "os:admin", "x"])).toEqual([
      { O: ["os:admin", "x"] },
      { CN: ["admin"] },
    ]);
    expect(distinguishedName("bronze")).toEqual([{ CN: ["bronze"] }]);
  });

  test("rejects empty CN and empty organizations", () => {
    expect(() => distinguishedName(" ")).toThrow("commonName: must be a non-empty string");
    expect(() => distinguishedName("a", [""])).toThrow(
      "organizations: must be an array of non-empty strings",
    );
  });
});
