// Reads the value of a flag that takes either inline text or `@path` (the Talos convention for
// --config-patch and --patch), or `-` / `@-` for standard input.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CliError } from "../cli-error.ts";
import type { Io } from "../io.ts";

export interface InputText {
  /** Where the text came from, for error messages: a path, "stdin" or "inline". */
  source: string;
  text: string;
}

export async function readInput(value: string, io: Io, flag: string): Promise<InputText> {
  if (value === "-" || value === "@-") return { source: "stdin", text: await io.readStdin() };
  if (!value.startsWith("@")) return { source: `${flag} (inline)`, text: value };
  return readTextFile(value.slice(1), io, flag);
}

export function readTextFile(path: string, io: Io, flag: string): InputText {
  const full = resolve(io.cwd, path);
  try {
    return { source: path, text: readFileSync(full, "utf8") };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new CliError("not-found", `${flag}: cannot read ${path}: ${reason}`);
  }
}
