// The runc shim's options for a task (containerd.runc.v1.Options, runtime/v2/runc/options/oci.proto
// in containerd 1.6): only `root` (field 7, runc's --root) is set here. Encoded by hand: one string
// field does not justify generating the runc options proto.
import { create } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

export const RUNC_OPTIONS_TYPE_URL = "containerd.runc.v1.Options";

export interface RuncOptions {
  /** runc's state directory (the shim appends the namespace). */
  readonly root: string;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** The options as the Any a CreateTaskRequest carries. */
export function runcOptionsAny(options: RuncOptions): Any {
  const root = new TextEncoder().encode(options.root);
  const value = new Uint8Array([(7 << 3) | 2, ...varint(root.length), ...root]);
  return create(AnySchema, { typeUrl: RUNC_OPTIONS_TYPE_URL, value });
}
