/**
 * The kernel command line (/proc/cmdline), parsed the way the kernel does: words separated by spaces,
 * double quotes group spaces into a word (`foo="a b"` and `"foo=a b"` both give foo = "a b"), a word
 * without `=` is a flag, `--` ends the kernel's arguments (the rest is for init). Keys may repeat
 * (`console=ttyS0 console=tty0`): every value is kept in order.
 *
 * Bronze's own arguments are checked: `bronze.config=<http(s) URL>`, `bronze.assets=<http(s) URL>`, `bronze.platform=metal|qemu|container`,
 * `bronze.hostname=<RFC 1123 name>`, `bronze.shutdown=halt|poweroff`, and GRUB's `bronze.slot=a|b`,
 * `bronze.trial=<seq>`. A bad value, or one of them given
 * twice with different values, is an error naming the argument; it is then left unset.
 */

export const PLATFORMS = ["metal", "qemu", "container"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const SHUTDOWN_ACTIONS = ["halt", "poweroff"] as const;
export type ShutdownAction = (typeof SHUTDOWN_ACTIONS)[number];

export interface KernelArgError {
  /** The argument, e.g. `bronze.platform`. */
  readonly key: string;
  readonly value: string | null;
  readonly message: string;
}

/** One word of the command line: `key=value` (value "" for `key=`), or a flag (value null). */
export interface KernelParam {
  readonly key: string;
  readonly value: string | null;
}

export interface BronzeArgs {
  readonly config?: string;
  /** Where the boot assets are served (vmlinuz, initramfs.zst, cmdline, manifest.json): the installer's source. */
  readonly assets?: string;
  readonly platform?: Platform;
  readonly hostname?: string;
  readonly shutdown?: ShutdownAction;
  /** The boot slot GRUB booted (`a` or `b`), on a node booted from its installed disk. */
  readonly slot?: "a" | "b";
  /** Set by GRUB on the one boot of a new slot: the boot state's sequence number (lifecycle/). */
  readonly trial?: string;
}

export class KernelArgs {
  constructor(
    readonly raw: string,
    /** Every kernel parameter, in order (before `--`). */
    readonly params: readonly KernelParam[],
    /** Words after `--`, passed to init. */
    readonly initArgs: readonly string[],
    readonly bronze: BronzeArgs,
    readonly errors: readonly KernelArgError[],
  ) {}

  has(key: string): boolean {
    return this.params.some((p) => p.key === key);
  }

  /** Every value given for `key`, in order (null for a bare flag). */
  values(key: string): (string | null)[] {
    return this.params.filter((p) => p.key === key).map((p) => p.value);
  }

  /** The last value given for `key` (the kernel's rule for most parameters); undefined when absent. */
  get(key: string): string | null | undefined {
    const values = this.values(key);
    return values.length === 0 ? undefined : values[values.length - 1];
  }
}

/** Splits a command line into words, honouring double quotes (which are removed). */
export function splitCmdline(cmdline: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  for (const ch of cmdline) {
    if (ch === '"') {
      quoted = !quoted;
      inWord = true;
      continue;
    }
    if (!quoted && (ch === " " || ch === "\t" || ch === "\n")) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    word += ch;
    inWord = true;
  }
  if (inWord) words.push(word);
  return words;
}

const HOSTNAME_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Why `name` is not a valid hostname (RFC 1123, at most 253 characters), or undefined. */
export function hostnameProblem(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name.length > 253) return `must be at most 253 characters (got ${name.length})`;
  for (const label of name.split(".")) {
    if (!HOSTNAME_LABEL.test(label)) {
      return `label ${JSON.stringify(label)} must be 1-63 letters, digits or '-', not starting or ending with '-'`;
    }
  }
  return undefined;
}

function httpUrlProblem(value: string): string | undefined {
  // Substitution variables are not valid URL characters until substituted: check the rest.
  const probe = value.replace(/\$\{[a-z]+\}/g, "x");
  let url: URL;
  try {
    url = new URL(probe);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `must be an http:// or https:// URL (got ${url.protocol})`;
  }
  return undefined;
}

type Checker = (value: string | null) => string | undefined;

const oneOf =
  (allowed: readonly string[]): Checker =>
  (value) =>
    value !== null && allowed.includes(value)
      ? undefined
      : `must be one of ${allowed.join(", ")} (got ${value === null ? "no value" : JSON.stringify(value)})`;

const BRONZE_CHECKS: Readonly<Record<keyof BronzeArgs, Checker>> = {
  config: (v) =>
    v === null || v === ""
      ? `needs a URL, e.g. bronze.config=http://10.0.0.1/\${mac}.yaml`
      : httpUrlProblem(v),
  assets: (v) =>
    v === null || v === ""
      ? "needs the URL of the boot assets' directory, e.g. bronze.assets=http://10.0.0.1:8080/assets"
      : httpUrlProblem(v),
  platform: oneOf(PLATFORMS),
  hostname: (v) => (v === null ? "needs a value, e.g. bronze.hostname=node-1" : hostnameProblem(v)),
  shutdown: oneOf(SHUTDOWN_ACTIONS),
  slot: oneOf(["a", "b"]),
  trial: (v) =>
    v !== null && /^[1-9][0-9]{0,15}$/.test(v)
      ? undefined
      : `must be a sequence number (got ${JSON.stringify(v)})`,
};

/** Parses a kernel command line; never throws: bad values are in `errors`. */
export function parseKernelArgs(cmdline: string): KernelArgs {
  const words = splitCmdline(cmdline);
  const dashes = words.indexOf("--");
  const kernelWords = dashes < 0 ? words : words.slice(0, dashes);
  const initArgs = dashes < 0 ? [] : words.slice(dashes + 1);
  const params: KernelParam[] = kernelWords.map((w) => {
    const eq = w.indexOf("=");
    return eq < 0 ? { key: w, value: null } : { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });

  const errors: KernelArgError[] = [];
  const bronze: Record<string, string> = {};
  for (const name of Object.keys(BRONZE_CHECKS) as (keyof BronzeArgs)[]) {
    const key = `bronze.${name}`;
    const given = params.filter((p) => p.key === key).map((p) => p.value);
    if (given.length === 0) continue;
    const distinct = [...new Set(given)];
    if (distinct.length > 1) {
      errors.push({
        key,
        value: given[given.length - 1] ?? null,
        message: `${key} is given ${given.length} times with different values (${distinct
          .map((v) => JSON.stringify(v))
          .join(", ")}): give it once`,
      });
      continue;
    }
    const value = distinct[0] ?? null;
    const problem = BRONZE_CHECKS[name](value);
    if (problem !== undefined) {
      errors.push({ key, value, message: `${key}: ${problem}` });
      continue;
    }
    if (value !== null) bronze[name] = value;
  }
  for (const p of params) {
    if (p.key.startsWith("bronze.") && !(p.key.slice(7) in BRONZE_CHECKS)) {
      errors.push({
        key: p.key,
        value: p.value,
        message: `${p.key} is not a Bronze argument (known: ${Object.keys(BRONZE_CHECKS)
          .map((k) => `bronze.${k}`)
          .join(", ")})`,
      });
    }
  }
  return new KernelArgs(cmdline, params, initArgs, bronze as BronzeArgs, errors);
}
