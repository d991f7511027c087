/** One line of /proc/<pid>/mountinfo. */
export interface MountInfo {
  readonly mountId: number;
  readonly parentId: number;
  readonly root: string;
  readonly mountPoint: string;
  readonly options: string;
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: string;
}

/** Paths escape space, tab, newline and backslash as \ooo. */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Parses mountinfo (proc(5)): "id parent major:minor root mountpoint options [optional...] - fstype
 * source superoptions". Malformed lines are skipped.
 */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-", 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    const [id, parent, , root, mountPoint, options] = fields;
    if (!/^\d+$/.test(id ?? "") || !/^\d+$/.test(parent ?? "")) continue;
    out.push({
      mountId: Number(id),
      parentId: Number(parent),
      root: unescapeOctal(root as string),
      mountPoint: unescapeOctal(mountPoint as string),
      options: options as string,
      fsType: fields[dash + 1] as string,
      source: unescapeOctal(fields[dash + 2] as string),
      superOptions: fields[dash + 3] ?? "",
    });
  }
  return out;
}
