import { expect, test } from "bun:test";
import { parseKmsgRecord, readRecords } from "./kmsg-record.ts";

test("parses priority, facility, sequence, timestamp and text", () => {
  const r = parseKmsgRecord("30,1234,5678901,-;systemd[1]: started\n SUBSYSTEM=foo\n DEVICE=+bar\n");
  expect(r).toEqual({
    facility: 3,
    priority: 6,
    seq: 1234n,
    timestampUsec: 5678901n,
    message: "systemd[1]: started",
  });
});

test("unescapes \\xNN and keeps extra prefix fields", () => {
  const r = parseKmsgRecord("4,7,9,c,caller=T1;tab\\x09here\\x5c");
  expect(r?.message).toBe("tab\there\\");
  expect(r?.priority).toBe(4);
  expect(r?.facility).toBe(0);
});

test("rejects malformed records", () => {
  expect(parseKmsgRecord("no separator")).toBeUndefined();
  expect(parseKmsgRecord("6,x,1,-;text")).toBeUndefined();
  expect(parseKmsgRecord("6,1;text")).toBeUndefined();
});

test("readRecords reads what a reader has, parsed, malformed ones skipped, up to a count or a size", () => {
  const records = ["6,1,10,-;one", "garbage", "6,2,20,-;two", "6,3,30,-;three"];
  const reader = () => {
    let at = 0;
    return { read: () => records[at++] };
  };
  expect(readRecords(reader()).map((r) => r.message)).toEqual(["one", "two", "three"]);
  expect(readRecords(reader(), 2).map((r) => r.message)).toEqual(["one", "two"]);
  // about maxBytes: stops once reached
  expect(readRecords(reader(), Number.POSITIVE_INFINITY, 3).map((r) => r.message)).toEqual(["one"]);
});
