import { describe, expect, test } from "bun:test";
import { LogLineDecoder } from "./log-text.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("LogLineDecoder", () => {
  test("whole-line messages give their lines, without the newlines", () => {
    const d = new LogLineDecoder();
    expect(d.push(bytes("one\ntwo\n"))).toEqual(["one", "two"]);
    expect(d.push(bytes("[machined] three\n"))).toEqual(["[machined] three"]);
    expect(d.push(bytes(""))).toEqual([]);
    expect(d.end()).toEqual([]);
  });

  test("empty lines are kept", () => {
    expect(new LogLineDecoder().push(bytes("a\n\nb\n"))).toEqual(["a", "", "b"]);
  });

  test("a line or a UTF-8 sequence cut across messages is joined", () => {
    const d = new LogLineDecoder();
    const all = bytes("héllo wörld\nnext\n");
    const cut = 2; // inside the two bytes of "é"
    expect(d.push(all.subarray(0, cut))).toEqual([]);
    expect(d.push(all.subarray(cut, 9))).toEqual([]);
    expect(d.push(all.subarray(9))).toEqual(["héllo wörld", "next"]);
  });

  test("end() gives a last line without a newline", () => {
    const d = new LogLineDecoder();
    expect(d.push(bytes("a\nunfinished"))).toEqual(["a"]);
    expect(d.end()).toEqual(["unfinished"]);
    expect(d.end()).toEqual([]);
  });
});
