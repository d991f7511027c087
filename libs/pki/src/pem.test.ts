import { describe, expect, test } from "bun:test";
import {
  decodePemBase64,
  decodePemBlocks,
  decodeSinglePem,
  encodePem,
  encodePemBase64,
  isBase64,
} from "./pem.ts";
import { PkiError } from "./pki-error.ts";

const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) % 256);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof PkiError ? error.code : "not-a-PkiError";
  }
  return undefined;
}

describe("pem", () => {
  test("encodes 64-column lines and decodes back to the same bytes", () => {
    const pem = encodePem("TEST DATA", bytes);
    const lines = pem.trimEnd().split("\n");
    expect(lines[0]).toBe("-----BEGIN TEST DATA-----");
    expect(lines.at(-1)).toBe("-----END TEST DATA-----");
    expect(lines.slice(1, -1).every((line) => line.length <= 64)).toBe(true);
    expect(pem.endsWith("\n")).toBe(true);
    const [block] = decodePemBlocks(pem);
    expect(block?.label).toBe("TEST DATA");
    expect(Buffer.from(block?.der ?? []).equals(Buffer.from(bytes))).toBe(true);
  });

  test("decodes several blocks in order, ignoring text around them and CRLF line ends", () => {
    const text = `junk before\r\n${encodePem("A", bytes.slice(0, 3)).replaceAll("\n", "\r\n")}between\n${encodePem("B", bytes.slice(3, 9))}`;
    const blocks = decodePemBlocks(text);
    expect(blocks.map((b) => b.label)).toEqual(["A", "B"]);
    expect([...(blocks[1]?.der ?? [])]).toEqual([...bytes.slice(3, 9)]);
  });

  test("rejects text without a block, mismatched labels and bad base64 as invalid-pem", () => {
    expect(codeOf(() => decodePemBlocks("hello"))).toBe("invalid-pem");
    expect(codeOf(() => decodePemBlocks("-----BEGIN A-----\nAAAA\n-----END B-----\n"))).toBe("invalid-pem");
    expect(codeOf(() => decodePemBlocks("-----BEGIN A-----\nA!AA\n-----END A-----\n"))).toBe("invalid-pem");
  });

  test("decodeSinglePem names what it reads and the labels it expected", () => {
    const two = encodePem("CERTIFICATE", bytes) + encodePem("CERTIFICATE", bytes);
    expect(() => decodeSinglePem(two, ["CERTIFICATE"], "ca.crt")).toThrow(
      "ca.crt: expected one PEM block, found 2",
    );
    expect(() => decodeSinglePem(encodePem("X", bytes), ["PRIVATE KEY"], "ca.key")).toThrow(
      'ca.key: PEM block is "X", expected "PRIVATE KEY"',
    );
  });

  test("base64 of PEM round-trips and rejects non-base64 or non-PEM content", () => {
    const pem = encodePem("CERTIFICATE", bytes);
    const b64 = encodePemBase64(pem);
    expect(isBase64(b64)).toBe(true);
    expect(decodePemBase64(b64)).toBe(pem);
    expect(decodePemBase64(`${b64.slice(0, 20)}\n${b64.slice(20)}`)).toBe(pem);
    expect(() => decodePemBase64(pem)).toThrow("not base64");
    expect(() => decodePemBase64(Buffer.from("plain text").toString("base64"))).toThrow(
      "does not decode to a PEM",
    );
  });
});
