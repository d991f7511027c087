import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { AnySchema, anyPack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { decodeEvent } from "./event-decode.ts";
import { NamespaceCreateSchema } from "./gen/github.com/containerd/containerd/api/events/namespace_pb.ts";
import { TaskExitSchema, TaskOOMSchema } from "./gen/github.com/containerd/containerd/api/events/task_pb.ts";

test("task events decode to domain events with dates", () => {
  const at = new Date("2024-01-02T03:04:05Z");
  const any = anyPack(
    TaskExitSchema,
    create(TaskExitSchema, {
      containerId: "c",
      id: "c",
      pid: 42,
      exitStatus: 137,
      exitedAt: timestampFromDate(at),
    }),
  );
  // containerd's typeurl names events without the type.googleapis.com/ prefix
  any.typeUrl = "containerd.events.TaskExit";
  expect(decodeEvent(any)).toEqual({
    type: "TaskExit",
    containerId: "c",
    id: "c",
    pid: 42,
    exitStatus: 137,
    exitedAt: at,
  });
  expect(decodeEvent(anyPack(TaskOOMSchema, create(TaskOOMSchema, { containerId: "x" })))).toEqual({
    type: "TaskOOM",
    containerId: "x",
  });
});

test("other known events come as JSON, unknown ones by type URL", () => {
  const ns = anyPack(
    NamespaceCreateSchema,
    create(NamespaceCreateSchema, { name: "k8s.io", labels: { a: "b" } }),
  );
  expect(decodeEvent(ns)).toEqual({
    type: "Other",
    typeUrl: ns.typeUrl,
    data: { name: "k8s.io", labels: { a: "b" } },
  });
  expect(decodeEvent(create(AnySchema, { typeUrl: "x.Unknown" }))).toEqual({
    type: "Other",
    typeUrl: "x.Unknown",
    data: null,
  });
});
