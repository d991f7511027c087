import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { makeFixture } from "../testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());
const admin = f.client("os:admin");

async function code(p: Promise<unknown> | AsyncIterable<unknown>): Promise<[Code, string]> {
  try {
    if (Symbol.asyncIterator in p) {
      for await (const _ of p) {
        // nothing
      }
    } else await p;
  } catch (e) {
    const err = ConnectError.from(e);
    return [err.code, err.rawMessage];
  }
  throw new Error("expected Unimplemented");
}

test("methods of later issues say Unimplemented with a reason, never fake data", async () => {
  const calls: [string, Promise<unknown> | AsyncIterable<unknown>][] = [
    ["Bootstrap", admin.bootstrap({})],
    ["EtcdMembers", admin.etcdMembers({})],
    ["EtcdSnapshot", admin.etcdSnapshot({})],
    ["Kubeconfig", admin.kubeconfig({})],
  ];
  for (const [name, call] of calls) {
    const [c, message] = await code(call);
    expect(c).toBe(Code.Unimplemented);
    expect(message).toStartWith(`${name} is not implemented yet: `);
  }
});
