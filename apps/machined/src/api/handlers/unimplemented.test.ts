import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { makeFixture } from "../testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());
const admin = f.client("os:admin");

test("methods of later issues say Unimplemented with a reason, never fake data", async () => {
  let err: ConnectError | undefined;
  try {
    for await (const _ of admin.kubeconfig({})) {
      // nothing
    }
  } catch (e) {
    err = ConnectError.from(e);
  }
  expect(err?.code).toBe(Code.Unimplemented);
  expect(err?.rawMessage).toStartWith("Kubeconfig is not implemented yet: ");
});
