import { describe, expect, test } from "bun:test";
import {
  BOOTSTRAP_TOKEN_PATTERN,
  generateBootstrapToken,
  generateRandomSecret,
  isBootstrapToken,
} from "./tokens.ts";

describe("tokens", () => {
  test("bootstrap tokens match [a-z0-9]{6}.[a-z0-9]{16}, are distinct, and use the whole alphabet", () => {
    const tokens = Array.from({ length: 500 }, generateBootstrapToken);
    for (const token of tokens) expect(token).toMatch(BOOTSTRAP_TOKEN_PATTERN);
    expect(new Set(tokens).size).toBe(tokens.length);
    const counts = new Map<string, number>();
    for (const char of tokens.join("").replaceAll(".", "")) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(36);
    // 11000 characters over 36 symbols: ~305 each; a biased or broken generator strays far from that.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(200);
      expect(count).toBeLessThan(420);
    }
  });

  test("isBootstrapToken", () => {
    expect(isBootstrapToken("abcdef.0123456789abcdef")).toBe(true);
    expect(isBootstrapToken("ABCDEF.0123456789abcdef")).toBe(false);
    expect(isBootstrapToken("abcdef0123456789abcdef")).toBe(false);
    expect(isBootstrapToken(42)).toBe(false);
  });

  test("random secrets are base64 of the requested number of bytes (32 by default)", () => {
    const secret = generateRandomSecret();
    expect(Buffer.from(secret, "base64").length).toBe(32);
    expect(Buffer.from(secret, "base64").toString("base64")).toBe(secret);
    expect(Buffer.from(generateRandomSecret(16), "base64").length).toBe(16);
    expect(generateRandomSecret()).not.toBe(secret);
    expect(() => generateRandomSecret(0)).toThrow("bytes: must be an integer");
  });
});
