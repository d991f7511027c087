import { type MemInfo, MemInfoSchema } from "@bronze/api";
import { create } from "@bufbuild/protobuf";

/** "Active(anon)" -> "activeanon", "HugePages_Total" -> "hugepagestotal" (the MemInfo field names). */
function fieldName(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

const FIELDS = new Set(MemInfoSchema.fields.map((f) => f.localName));

/** Parses /proc/meminfo; keys without a MemInfo field are ignored, values stay in kB as the kernel gives them. */
export function parseMeminfo(text: string): MemInfo {
  const info = create(MemInfoSchema);
  const record = info as unknown as Record<string, bigint>;
  for (const line of text.split("\n")) {
    const match = /^([^:]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (match === null) continue;
    const name = fieldName(match[1] as string);
    if (FIELDS.has(name)) record[name] = BigInt(match[2] as string);
  }
  return info;
}
