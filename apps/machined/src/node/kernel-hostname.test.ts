import { expect, test } from "bun:test";
import { FakeSys } from "../testing/fake-sys.ts";
import { setKernelHostname } from "./kernel-hostname.ts";

test("a fully qualified name is split: the first label is the hostname, the rest the domain", () => {
  const sys = new FakeSys();
  setKernelHostname(sys, "cp-1.lab.example.com");
  expect(sys.callsOf("sethostname")).toEqual([["cp-1"]]);
  expect(sys.callsOf("setdomainname")).toEqual([["lab.example.com"]]);
  setKernelHostname(sys, "worker-1");
  expect(sys.callsOf("sethostname").at(-1)).toEqual(["worker-1"]);
  expect(sys.callsOf("setdomainname").at(-1)).toEqual([""]);
});

test("a label or domain the kernel refuses (over 64 bytes) throws, naming the call", () => {
  const sys = new FakeSys();
  expect(() => setKernelHostname(sys, `${"a".repeat(70)}.example.com`)).toThrow(/sethostname/);
});
