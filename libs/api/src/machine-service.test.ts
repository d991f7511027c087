import { describe, expect, test } from "bun:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { MachineService, VersionInfoSchema, VersionResponseSchema } from "./index.ts";

describe("generated MachineService", () => {
  test("Version round-trips through an in-memory Connect transport", async () => {
    const transport = createRouterTransport(({ service }) => {
      service(MachineService, {
        version: () => ({ version: { tag: "0.1.0", os: "linux", arch: "amd64" }, platform: "container" }),
      });
    });
    const client = createClient(MachineService, transport);
    const res = await client.version({});
    expect(res.version?.tag).toBe("0.1.0");
    expect(res.platform).toBe("container");
    expect(res.maintenance).toBe(false);
  });

  test("VersionResponse encodes and decodes with the binary wire format", () => {
    const msg = create(VersionResponseSchema, {
      version: create(VersionInfoSchema, { tag: "1.2.3", sha: "abc" }),
      maintenance: true,
    });
    const back = fromBinary(VersionResponseSchema, toBinary(VersionResponseSchema, msg));
    expect(back.version?.sha).toBe("abc");
    expect(back.maintenance).toBe(true);
  });

  test("the service descriptor names the fully-qualified method", () => {
    expect(MachineService.typeName).toBe("bronze.machine.v1.MachineService");
    expect(MachineService.method.version.name).toBe("Version");
  });
});
