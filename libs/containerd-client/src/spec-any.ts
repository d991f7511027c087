// OCI specs travel inside protobuf Any values as JSON, under the type URLs containerd's typeurl
// package registers for them.
import { create } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { ContainerdError } from "./errors.ts";
import type { RuntimeSpec, SpecProcess } from "./runtime-spec.ts";

export const SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
export const PROCESS_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Process";

export function jsonAny(typeUrl: string, value: unknown): Any {
  return create(AnySchema, { typeUrl, value: new TextEncoder().encode(JSON.stringify(value)) });
}

export function specToAny(spec: RuntimeSpec): Any {
  return jsonAny(SPEC_TYPE_URL, spec);
}

export function processToAny(process: SpecProcess): Any {
  return jsonAny(PROCESS_TYPE_URL, process);
}

export function specFromAny(any: Any | undefined, op: string): RuntimeSpec | undefined {
  if (!any || any.value.length === 0) return undefined;
  if (any.typeUrl !== SPEC_TYPE_URL)
    throw new ContainerdError("Internal", op, `container spec has unexpected type ${any.typeUrl}`);
  return JSON.parse(new TextDecoder().decode(any.value)) as RuntimeSpec;
}
