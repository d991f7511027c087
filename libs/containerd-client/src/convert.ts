// Conversions between generated messages and domain types shared by several services.
import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import {
  DescriptorSchema,
  type Descriptor as PbDescriptor,
} from "./gen/github.com/containerd/containerd/api/types/descriptor_pb.ts";
import {
  MountSchema,
  type Mount as PbMount,
} from "./gen/github.com/containerd/containerd/api/types/mount_pb.ts";
import type { Descriptor, Mount } from "./types.ts";

export function toDate(t: Timestamp | undefined): Date | undefined {
  return t ? timestampDate(t) : undefined;
}

export function descriptorFromPb(d: PbDescriptor | undefined): Descriptor {
  const out: Descriptor = {
    mediaType: d?.mediaType ?? "",
    digest: d?.digest ?? "",
    size: Number(d?.size ?? 0n),
  };
  if (d && Object.keys(d.annotations).length > 0) out.annotations = { ...d.annotations };
  return out;
}

export function descriptorToPb(d: Descriptor): PbDescriptor {
  return create(DescriptorSchema, {
    mediaType: d.mediaType,
    digest: d.digest,
    size: BigInt(d.size),
    annotations: d.annotations ?? {},
  });
}

export function mountFromPb(m: PbMount): Mount {
  const out: Mount = { type: m.type, source: m.source, options: [...m.options] };
  if (m.target) out.target = m.target;
  return out;
}

export function mountToPb(m: Mount): PbMount {
  return create(MountSchema, { type: m.type, source: m.source, target: m.target ?? "", options: m.options });
}
