// The A/B boot state GRUB and machined share (docs/design.md, "Upgrades"). It lives on the META
// partition as two 512-byte GRUB environment blocks ("copies"): machined writes the older copy with the
// next sequence number, so a torn write can only ever spoil the copy it was writing and GRUB falls back
// to the other, complete one. GRUB only reads META (it cannot write a raw block list); the one thing
// GRUB writes is `bronze_tried` in grubenv on the EFI partition, to boot a requested trial only once.
import type { BootSlot } from "./grub-config.ts";

/** One copy of the record: one sector, written in one piece. */
export const META_RECORD_BYTES = 512;
export const META_COPIES = 2;
/** GRUB's file of its own (EFI partition, beside grub.cfg): one environment block of 1024 bytes. */
export const GRUBENV_PATH = "boot/grub/grubenv";
export const GRUBENV_BYTES = 1024;
const SIGNATURE = "# GRUB Environment Block\n";

/** The boot state: which slot boots by default, and a one-time boot of the other one, if asked. */
export interface SlotRecord {
  /** Increases with every write; the copy with the higher one (and intact) is the current state. */
  readonly seq: number;
  /** The slot that boots by default: the last one committed (booted and found healthy). */
  readonly committed: BootSlot;
  /** A slot to boot once (an upgrade or a rollback); GRUB marks it tried before booting it. */
  readonly trial?: BootSlot;
}

/** A GRUB environment block of `size` bytes holding `vars` (GRUB's format: `name=value` lines, `#` padding). */
export function grubEnvBlock(vars: ReadonlyArray<readonly [string, string]>, size: number): Uint8Array {
  let text = SIGNATURE;
  for (const [name, value] of vars) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /[\n\\]/.test(value))
      throw new Error(`grub environment: cannot store ${name}=${JSON.stringify(value)}`);
    text += `${name}=${value}\n`;
  }
  if (text.length > size) throw new Error(`grub environment: ${text.length} bytes do not fit in ${size}`);
  return new TextEncoder().encode(text + "#".repeat(size - text.length));
}

/** The variables of a GRUB environment block; undefined when it does not start with the signature. */
export function parseGrubEnvBlock(bytes: Uint8Array): Map<string, string> | undefined {
  const text = new TextDecoder("latin1").decode(bytes);
  if (!text.startsWith(SIGNATURE)) return undefined;
  const vars = new Map<string, string>();
  for (const line of text.slice(SIGNATURE.length).split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const eq = line.indexOf("=");
    if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return vars;
}

const slotWord = (slot: BootSlot) => slot.toLowerCase();
const wordSlot = (word: string | undefined): BootSlot | undefined =>
  word === "a" ? "A" : word === "b" ? "B" : undefined;

/** One copy of the record. `bronze_end` repeats the sequence last: a copy torn mid-sector does not match. */
export function encodeSlotRecord(record: SlotRecord): Uint8Array {
  if (!Number.isSafeInteger(record.seq) || record.seq < 1)
    throw new Error(`slot record: sequence ${record.seq} is not a positive integer`);
  return grubEnvBlock(
    [
      ["bronze_seq", String(record.seq)],
      ["bronze_default", slotWord(record.committed)],
      ["bronze_trial", record.trial === undefined ? "" : slotWord(record.trial)],
      ["bronze_end", String(record.seq)],
    ],
    META_RECORD_BYTES,
  );
}

/** One copy decoded; undefined when it is blank, torn or not ours. */
export function decodeSlotRecord(bytes: Uint8Array): SlotRecord | undefined {
  const vars = parseGrubEnvBlock(bytes.subarray(0, META_RECORD_BYTES));
  if (vars === undefined) return undefined;
  const seq = vars.get("bronze_seq");
  if (seq === undefined || !/^[1-9][0-9]{0,15}$/.test(seq) || vars.get("bronze_end") !== seq)
    return undefined;
  const committed = wordSlot(vars.get("bronze_default"));
  if (committed === undefined) return undefined;
  const trialWord = vars.get("bronze_trial") ?? "";
  const trial = wordSlot(trialWord);
  if (trialWord !== "" && trial === undefined) return undefined;
  return { seq: Number(seq), committed, ...(trial === undefined ? {} : { trial }) };
}

/** The current record of META's first bytes (both copies) and the copy it is in; undefined: none intact. */
export function currentSlotRecord(meta: Uint8Array): { record: SlotRecord; copy: number } | undefined {
  let best: { record: SlotRecord; copy: number } | undefined;
  for (let copy = 0; copy < META_COPIES; copy++) {
    const record = decodeSlotRecord(meta.subarray(copy * META_RECORD_BYTES, (copy + 1) * META_RECORD_BYTES));
    if (record !== undefined && (best === undefined || record.seq > best.record.seq)) best = { record, copy };
  }
  return best;
}

/**
 * Where the next record goes and what it says: the copy that is not current (the current one stays
 * intact until the new one is complete), with the next sequence number.
 */
export function nextSlotWrite(
  meta: Uint8Array,
  next: Omit<SlotRecord, "seq">,
): { offset: number; bytes: Uint8Array; record: SlotRecord } {
  const current = currentSlotRecord(meta);
  const copy = current === undefined ? 0 : (current.copy + 1) % META_COPIES;
  const record: SlotRecord = { ...next, seq: (current?.record.seq ?? 0) + 1 };
  return { offset: copy * META_RECORD_BYTES, bytes: encodeSlotRecord(record), record };
}

/** The other slot. */
export const otherSlot = (slot: BootSlot): BootSlot => (slot === "A" ? "B" : "A");

/** The empty grubenv the installer puts beside grub.cfg (GRUB's save_env rewrites it in place). */
export function emptyGrubEnv(): Uint8Array {
  return grubEnvBlock([["bronze_tried", "0"]], GRUBENV_BYTES);
}
