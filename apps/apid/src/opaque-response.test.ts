import { expect, test } from "bun:test";
import { DmesgResponseSchema, LogsResponseSchema, MachineService, VersionResponseSchema } from "@bronze/api";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { coalesceUnknown, needsDecodedResponse, opaqueMethod, rewrapOpaque } from "./opaque-response.ts";

test("an opaque round trip gives the very same bytes", () => {
  const logs = create(LogsResponseSchema, { data: new TextEncoder().encode("héllo ✓\n[machined] x\n") });
  const bytes = toBinary(LogsResponseSchema, logs);
  const method = opaqueMethod(MachineService.method.logs);
  expect(method.name).toBe("Logs");
  expect(method.parent.typeName).toBe("bronze.machine.v1.MachineService");
  const opaque = fromBinary(method.output, bytes);
  const again = toBinary(LogsResponseSchema, rewrapOpaque(LogsResponseSchema, opaque) as never);
  expect(Buffer.compare(Buffer.from(again), Buffer.from(bytes))).toBe(0);
  expect(Buffer.from(fromBinary(LogsResponseSchema, again).data).toString()).toBe("héllo ✓\n[machined] x\n");
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

test("a message of many repeated fields passes through as one unknown field, byte for byte", () => {
  const messages = Array.from({ length: 300 }, (_, i) => ({
    message: `kernel ${i} ${"x".repeat(i % 150)}`,
    seq: BigInt(i),
    timestampUsec: BigInt(1_000 * i),
  }));
  const bytes = toBinary(DmesgResponseSchema, create(DmesgResponseSchema, { messages }));
  const opaque = fromBinary(opaqueMethod(MachineService.method.dmesg).output, bytes);
  expect(opaque.$unknown?.length).toBe(300);
  const wrapped = rewrapOpaque(DmesgResponseSchema, opaque);
  expect(wrapped.$unknown?.length).toBe(1);
  const again = toBinary(DmesgResponseSchema, wrapped as never);
  expect(Buffer.compare(Buffer.from(again), Buffer.from(bytes))).toBe(0);
  expect(fromBinary(DmesgResponseSchema, again).messages.map((m) => m.message)).toEqual(
    messages.map((m) => m.message),
  );
});

test("unknown fields that are not consecutive views of one buffer are kept apart", () => {
  const a = { no: 1, wireType: 2, data: new Uint8Array([1, 65]) };
  const b = { no: 1, wireType: 2, data: new Uint8Array([1, 66]) };
  expect(coalesceUnknown([a, b])).toEqual([a, b]);
  const buffer = new Uint8Array([10, 1, 65, 10, 1, 66, 16, 7]);
  const views = [
    { no: 1, wireType: 2, data: buffer.subarray(1, 3) },
    { no: 1, wireType: 2, data: buffer.subarray(4, 6) },
    { no: 2, wireType: 0, data: buffer.subarray(7, 8) },
  ];
  expect(coalesceUnknown(views)).toEqual([{ no: 1, wireType: 2, data: buffer.subarray(1, 8) }]);
  // A gap (a field missing in between) is not bridged.
  expect(coalesceUnknown([views[0], views[2]] as never)).toHaveLength(2);
  expect(coalesceUnknown([])).toEqual([]);
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
