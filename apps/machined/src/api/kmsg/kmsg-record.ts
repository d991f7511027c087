/** One kernel log record, as /dev/kmsg presents it. */
export interface KmsgRecord {
  readonly facility: number;
  readonly priority: number;
  readonly seq: bigint;
  /** Microseconds since boot. */
  readonly timestampUsec: bigint;
  readonly message: string;
}

/**
 * Parses "prefix;text\n KEY=value...": the prefix is "priority,seq,usec,flags[,...]" with the
 * syslog priority (facility << 3 | level); the text escapes unprintable bytes as \xNN. Undefined when
 * the record is malformed.
 */
export function parseKmsgRecord(record: string): KmsgRecord | undefined {
  const semicolon = record.indexOf(";");
  if (semicolon < 0) return undefined;
  const fields = record.slice(0, semicolon).split(",");
  const [pri, seq, usec] = fields;
  if (pri === undefined || seq === undefined || usec === undefined) return undefined;
  if (!/^\d+$/.test(pri) || !/^\d+$/.test(seq) || !/^\d+$/.test(usec)) return undefined;
  const prival = Number(pri);
  const newline = record.indexOf("\n", semicolon);
  const text = record.slice(semicolon + 1, newline < 0 ? undefined : newline);
  return {
    facility: prival >> 3,
    priority: prival & 7,
    seq: BigInt(seq),
    timestampUsec: BigInt(usec),
    message: text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    ),
  };
}

/**
 * The records a reader has now, parsed (malformed ones skipped), up to `max` of them or about
 * `maxBytes` of text.
 */
export function readRecords(
  reader: { read(): string | undefined },
  max = Number.POSITIVE_INFINITY,
  maxBytes = Number.POSITIVE_INFINITY,
): KmsgRecord[] {
  const out: KmsgRecord[] = [];
  let bytes = 0;
  while (out.length < max && bytes < maxBytes) {
    const record = reader.read();
    if (record === undefined) break;
    const parsed = parseKmsgRecord(record);
    if (parsed === undefined) continue;
    out.push(parsed);
    bytes += parsed.message.length;
  }
  return out;
}
