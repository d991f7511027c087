import { describe, expect, test } from "bun:test";
import { PkiError } from "./pki-error.ts";

describe("PkiError", () => {
  test("carries a code, a message, problems and a cause", () => {
    const cause = new Error("inner");
    const error = new PkiError("invalid-bundle", "bad", {
      problems: [{ path: "a.b", message: "missing" }],
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("PkiError");
    expect(error.code).toBe("invalid-bundle");
    expect(error.message).toBe("bad");
    expect(error.problems).toEqual([{ path: "a.b", message: "missing" }]);
    expect(error.cause).toBe(cause);
    expect(new PkiError("expired", "x").problems).toEqual([]);
  });
});
