import { describe, expect, test } from "bun:test";
import { isIP } from "node:net";
import { formatIpAddress, parseIpAddress } from "./ip-address.ts";

const hex = (text: string) => Buffer.from(parseIpAddress(text)?.bytes ?? []).toString("hex");
/**
 * What node:net + URL made of an address before (the reference this module replaces); undefined when Bun's URL
 * refuses a valid address (it does for some dotted tails, e.g. "::1:1:1:0:255.0.0.0").
 */
function urlCanonical(text: string): string | undefined {
  if (isIP(text) === 4) return text;
  return URL.canParse(`http://[${text}]/`) ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : undefined;
}

/** Random address-like strings: groups, `::`, dotted tails, leading zeros, stray characters. */
function candidates(count: number, seed: number): string[] {
  let state = seed;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const pick = <T>(items: readonly T[]) => items[random(items.length)] as T;
  const octet = () => pick(["0", "1", "9", "10", "99", "100", "199", "249", "255", "256", "01", "300"]);
  const group = () => pick(["0", "00", "000", "0000", "1", "ab", "fFfF", "1234", "12345", "g", "", "db8"]);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const ipv4 = Array.from({ length: 3 + random(3) }, octet).join(".");
    const groups = Array.from({ length: 1 + random(9) }, group);
    if (random(3) === 0) groups.splice(random(groups.length + 1), 0, "");
    let v6 = groups.join(":");
    if (random(4) === 0) v6 = `${v6}:${ipv4}`;
    if (random(5) === 0) v6 = pick(["::", ":", ":::"]) + v6;
    if (random(5) === 0) v6 += pick(["::", ":"]);
    out.push(random(3) === 0 ? ipv4 : v6);
  }
  return out;
}

describe("IP addresses", () => {
  test("IPv4 and IPv6 bytes", () => {
    expect(hex("10.0.0.1")).toBe("0a000001");
    expect(hex("::")).toBe("0".repeat(32));
    expect(hex("fd00::1")).toBe("fd000000000000000000000000000001");
    expect(hex("::ffff:1.2.3.4")).toBe("00000000000000000000ffff01020304");
    expect(hex("1:2:3:4:5:6:1.2.3.4")).toBe("00010002000300040005000601020304");
    expect(parseIpAddress("10.0.0.1")?.version).toBe(4);
    expect(parseIpAddress("::1")?.version).toBe(6);
  });

  test("accepts exactly what node:net's isIP accepts (zone IDs aside), and prints what WHATWG URL printed", () => {
    const handpicked = [
      "01.2.3.4",
      "0.0.0.0",
      "256.1.1.1",
      "1.2.3",
      " 1.2.3.4",
      "1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7::",
      "::2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7:8::",
      "1::2::3",
      "1:2:3:4:5:6:7:1.2.3.4",
      "::1.2.3.4",
      "FE80::ABCD",
      "12345::",
      "::01.2.3.4",
      ":1::",
      ":::1",
      "1:2:3:4:5:6:7",
      "0000:0000::",
      "1.2.3.4::",
      "[::1]",
      "1:0:0:2:0:0:0:3",
      "0:0:1:0:0:1:0:0",
      "1:0:2:0:3:0:4:0",
      "",
    ];
    const inputs = [...handpicked, ...candidates(3000, 7)];
    let compared = 0;
    for (const input of inputs) {
      const parsed = parseIpAddress(input);
      expect({ input, version: parsed?.version ?? 0 }).toEqual({ input, version: isIP(input) as 0 | 4 | 6 });
      const reference = parsed && urlCanonical(input);
      if (parsed && reference !== undefined) {
        compared++;
        expect({ input, text: formatIpAddress(parsed.bytes) }).toEqual({ input, text: reference });
      }
    }
    expect(compared).toBeGreaterThan(300); // the fuzz produced plenty of valid addresses too
    expect(formatIpAddress(parseIpAddress("::1:1:1:0:255.0.0.0")?.bytes as Uint8Array)).toBe(
      "::1:1:1:0:ff00:0",
    );
  });

  test("zone IDs, brackets and non-strings are refused; formatting needs 4 or 16 bytes", () => {
    expect(isIP("fe80::1%eth0")).toBe(6); // node:net accepts it, but it is no SAN
    expect(parseIpAddress("fe80::1%eth0")).toBeUndefined();
    expect(parseIpAddress("[::1]")).toBeUndefined();
    expect(parseIpAddress(42 as never)).toBeUndefined();
    expect(() => formatIpAddress(new Uint8Array(5))).toThrow(RangeError);
    expect(formatIpAddress(new Uint8Array(16))).toBe("::");
  });
});
