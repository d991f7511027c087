// Decodes containerd's event envelopes (an Any per event) into domain events.
import { createRegistry, type JsonValue, toJson } from "@bufbuild/protobuf";
import { type Any, anyUnpack, type Timestamp } from "@bufbuild/protobuf/wkt";
import { toDate } from "./convert.ts";
import { file_github_com_containerd_containerd_api_events_container } from "./gen/github.com/containerd/containerd/api/events/container_pb.ts";
import { file_github_com_containerd_containerd_api_events_content } from "./gen/github.com/containerd/containerd/api/events/content_pb.ts";
import { file_github_com_containerd_containerd_api_events_image } from "./gen/github.com/containerd/containerd/api/events/image_pb.ts";
import { file_github_com_containerd_containerd_api_events_namespace } from "./gen/github.com/containerd/containerd/api/events/namespace_pb.ts";
import { file_github_com_containerd_containerd_api_events_snapshot } from "./gen/github.com/containerd/containerd/api/events/snapshot_pb.ts";
import { file_github_com_containerd_containerd_api_events_task } from "./gen/github.com/containerd/containerd/api/events/task_pb.ts";

export type EventPayload =
  | { type: "TaskCreate"; containerId: string; pid: number }
  | { type: "TaskStart"; containerId: string; pid: number }
  | {
      type: "TaskExit";
      containerId: string /** the container id, or the exec id */;
      id: string;
      pid: number;
      exitStatus: number;
      exitedAt?: Date;
    }
  | { type: "TaskDelete"; containerId: string; id: string; pid: number; exitStatus: number; exitedAt?: Date }
  | { type: "TaskOOM"; containerId: string }
  | { type: "TaskExecAdded"; containerId: string; execId: string }
  | { type: "TaskExecStarted"; containerId: string; execId: string; pid: number }
  | { type: "TaskPaused"; containerId: string }
  | { type: "TaskResumed"; containerId: string }
  | { type: "ContainerCreate"; id: string; image: string; runtime: string }
  | { type: "ContainerUpdate"; id: string; image: string; labels: Record<string, string> }
  | { type: "ContainerDelete"; id: string }
  | { type: "ImageCreate"; name: string; labels: Record<string, string> }
  | { type: "ImageUpdate"; name: string; labels: Record<string, string> }
  | { type: "ImageDelete"; name: string }
  /** Namespace, snapshot and content events, and anything newer, as JSON. */
  | { type: "Other"; typeUrl: string; data: JsonValue };

export interface ContainerdEvent {
  topic: string;
  namespace: string;
  timestamp?: Date;
  event: EventPayload;
}

const registry = createRegistry(
  file_github_com_containerd_containerd_api_events_container,
  file_github_com_containerd_containerd_api_events_content,
  file_github_com_containerd_containerd_api_events_image,
  file_github_com_containerd_containerd_api_events_namespace,
  file_github_com_containerd_containerd_api_events_snapshot,
  file_github_com_containerd_containerd_api_events_task,
);

function exitedAt(t: Timestamp | undefined): { exitedAt?: Date } {
  const d = toDate(t);
  return d && d.getTime() > 0 ? { exitedAt: d } : {};
}

// biome-ignore lint/suspicious/noExplicitAny: fields of the unpacked message are read by type name below
type Fields = any;

export function decodeEvent(any: Any | undefined): EventPayload {
  if (!any) return { type: "Other", typeUrl: "", data: null };
  const msg = anyUnpack(any, registry);
  if (!msg) return { type: "Other", typeUrl: any.typeUrl, data: null };
  const m = msg as Fields;
  switch (msg.$typeName) {
    case "containerd.events.TaskCreate":
      return { type: "TaskCreate", containerId: m.containerId, pid: m.pid };
    case "containerd.events.TaskStart":
      return { type: "TaskStart", containerId: m.containerId, pid: m.pid };
    case "containerd.events.TaskExit":
      return {
        type: "TaskExit",
        containerId: m.containerId,
        id: m.id,
        pid: m.pid,
        exitStatus: m.exitStatus,
        ...exitedAt(m.exitedAt),
      };
    case "containerd.events.TaskDelete":
      return {
        type: "TaskDelete",
        containerId: m.containerId,
        id: m.id,
        pid: m.pid,
        exitStatus: m.exitStatus,
        ...exitedAt(m.exitedAt),
      };
    case "containerd.events.TaskOOM":
      return { type: "TaskOOM", containerId: m.containerId };
    case "containerd.events.TaskExecAdded":
      return { type: "TaskExecAdded", containerId: m.containerId, execId: m.execId };
    case "containerd.events.TaskExecStarted":
      return { type: "TaskExecStarted", containerId: m.containerId, execId: m.execId, pid: m.pid };
    case "containerd.events.TaskPaused":
      return { type: "TaskPaused", containerId: m.containerId };
    case "containerd.events.TaskResumed":
      return { type: "TaskResumed", containerId: m.containerId };
    case "containerd.events.ContainerCreate":
      return { type: "ContainerCreate", id: m.id, image: m.image, runtime: m.runtime?.name ?? "" };
    case "containerd.events.ContainerUpdate":
      return { type: "ContainerUpdate", id: m.id, image: m.image, labels: { ...m.labels } };
    case "containerd.events.ContainerDelete":
      return { type: "ContainerDelete", id: m.id };
    case "containerd.services.images.v1.ImageCreate":
      return { type: "ImageCreate", name: m.name, labels: { ...m.labels } };
    case "containerd.services.images.v1.ImageUpdate":
      return { type: "ImageUpdate", name: m.name, labels: { ...m.labels } };
    case "containerd.services.images.v1.ImageDelete":
      return { type: "ImageDelete", name: m.name };
    default:
      return {
        type: "Other",
        typeUrl: any.typeUrl,
        data: toJson(
          registry.getMessage(msg.$typeName) as NonNullable<ReturnType<typeof registry.getMessage>>,
          msg as never,
        ),
      };
  }
}
