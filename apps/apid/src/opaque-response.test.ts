import { expect, test } from "bun:test";
import { LogsResponseSchema, MachineService, VersionResponseSchema } from "@bronze/api";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { needsDecodedResponse, opaqueMethod, rewrapOpaque } from "./opaque-response.ts";

test("an opaque round trip gives the very same bytes", () => {
  const logs = create(LogsResponseSchema, {
    lines: [
      { text: "héllo ✓", stream: "stdout", time: timestampFromMs(1_700_000_000_123) },
      { text: "", stream: "stderr" },
    ],
  });
  const bytes = toBinary(LogsResponseSchema, logs);
  const method = opaqueMethod(MachineService.method.logs);
  expect(method.name).toBe("Logs");
  expect(method.parent.typeName).toBe("bronze.machine.v1.MachineService");
  const opaque = fromBinary(method.output, bytes);
  const again = toBinary(LogsResponseSchema, rewrapOpaque(LogsResponseSchema, opaque) as never);
  expect(Buffer.compare(Buffer.from(again), Buffer.from(bytes))).toBe(0);
  expect(fromBinary(LogsResponseSchema, again).lines[0]?.text).toBe("héllo ✓");
  const version = create(VersionResponseSchema, { platform: "container", version: { tag: "0.1.0" } });
  const vb = toBinary(VersionResponseSchema, version);
  const vo = fromBinary(opaqueMethod(MachineService.method.version).output, vb);
  expect(
    fromBinary(
      VersionResponseSchema,
      toBinary(VersionResponseSchema, rewrapOpaque(VersionResponseSchema, vo) as never),
    ).platform,
  ).toBe("container");
});

test("JSON requests (and unknown ones) get decoded responses", () => {
  expect(needsDecodedResponse("application/json")).toBe(true);
  expect(needsDecodedResponse("application/connect+json")).toBe(true);
  expect(needsDecodedResponse("application/grpc-web+json")).toBe(true);
  expect(needsDecodedResponse(null)).toBe(true);
  expect(needsDecodedResponse("application/grpc")).toBe(false);
  expect(needsDecodedResponse("application/grpc+proto")).toBe(false);
  expect(needsDecodedResponse("application/proto")).toBe(false);
  expect(needsDecodedResponse("application/grpc-web-text")).toBe(false);
});
