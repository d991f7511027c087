// Mutated machine configs for the ApplyConfiguration fuzz of the hostile-input bench (issue 10): from
// a real config (gen config's controlplane.yaml), what a careless admin or a hostile client could send
// — bytes flipped, lines deleted or duplicated, deep nesting, huge scalars, random keys, many
// documents, anchors and aliases, tags, directives, type confusion — and a few mutations that keep the
// config valid and harmless on a container-mode node, for real applies.
import type { Random } from "./seeded-random.ts";

export interface MutatedConfig {
  /** The mutations applied, in order (e.g. ["deleteLines", "flipBytes"]). */
  readonly kinds: readonly string[];
  /** The request's config bytes (not always valid UTF-8). */
  readonly data: Uint8Array;
}

type TextMutator = (text: string, r: Random) => string;

const lines = (text: string) => text.split("\n");
const KiB = 1024;
const MiB = 1024 * KiB;

/** A line index of `text` (not the empty last one a final newline leaves). */
function someLine(all: readonly string[], r: Random): number {
  return r.int(Math.max(1, all.length - 1));
}

/** The indentation of a line. */
const indentOf = (line: string) => /^\s*/.exec(line)?.[0] ?? "";

/** A random key: identifiers, unknown fields, odd characters, long names. */
function randomKey(r: Random): string {
  return r.pick([
    () => `x${r.int(1e6)}`,
    () =>
      r.pick(["machine", "cluster", "version", "type", "token", "ca", "key", "crt", "install", "network"]),
    () => `"${"k".repeat(r.between(1, 3000))}"`,
    () => `"\\u0000\\t\\n${r.int(100)}"`,
    () => `? [complex, ${r.int(10)}]`,
    () => "<<",
    () => `"${String.fromCodePoint(r.between(0x80, 0x2fff))}${r.int(9)}"`,
    () => "__proto__",
    () => "constructor",
  ])();
}

/** A random value: every YAML type, edge numbers, tags. */
function randomValue(r: Random): string {
  return r.pick([
    "[]",
    "{}",
    "null",
    "~",
    "true",
    "no",
    "0x1F",
    "1e999",
    "-.inf",
    ".nan",
    "99999999999999999999999999999",
    "-1",
    "''",
    '"\\x00"',
    "!!binary AAAA",
    "!!str 12",
    "!!int x",
    "!!js/function 'function(){}'",
    "!!python/object/apply:os.system ['id']",
    "!custom {a: 1}",
    "&anchor value",
    "*undefinedAlias",
    "|\n  block",
    ">-\n  folded",
    "[a, {b: [c, {d: e}]}]",
    // A placeholder some tools expand (not a template string here).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text itself is the hostile input
    "'${env:SECRET}'",
    `"${"v".repeat(r.between(0, 200))}"`,
    "2026-12-06T22:42:20Z",
    "=",
    "- a\n- b",
  ]);
}

const MUTATORS: Record<string, { weight: number; apply: TextMutator }> = {
  deleteLines: {
    weight: 10,
    apply: (text, r) => {
      const all = lines(text);
      const n = r.between(1, 10);
      for (let i = 0; i < n && all.length > 1; i++) all.splice(someLine(all, r), 1);
      return all.join("\n");
    },
  },
  duplicateLines: {
    weight: 10,
    apply: (text, r) => {
      const all = lines(text);
      const at = someLine(all, r);
      const block = all.slice(at, at + r.between(1, 20));
      all.splice(at + r.int(block.length + 1), 0, ...block);
      return all.join("\n");
    },
  },
  moveLines: {
    weight: 5,
    apply: (text, r) => {
      const all = lines(text);
      const at = someLine(all, r);
      const block = all.splice(at, r.between(1, 10));
      all.splice(someLine(all, r), 0, ...block);
      return all.join("\n");
    },
  },
  reindent: {
    weight: 6,
    apply: (text, r) => {
      const all = lines(text);
      for (let i = r.between(1, 5); i > 0; i--) {
        const at = someLine(all, r);
        const line = all[at] ?? "";
        all[at] = r.pick([
          () => " ".repeat(r.between(1, 4)) + line,
          () => line.replace(/^ {1,4}/, ""),
          () => `\t${line.trimStart()}`,
          () => line.trimStart(),
        ])();
      }
      return all.join("\n");
    },
  },
  deepNesting: {
    weight: 3,
    apply: (text, r) => {
      const depth = r.pick([50, 500, 5000, 9500, 50_000, 300_000]);
      const nested = r.pick([
        () => `${"[".repeat(depth)}${"]".repeat(depth)}`,
        () => `${"{a: ".repeat(depth)}1${"}".repeat(depth)}`,
        () => `${"- ".repeat(Math.min(depth, 2000))}x`,
      ])();
      return text.replace(/^machine:\n/m, `machine:\n  nested: ${nested}\n`);
    },
  },
  blockNesting: {
    weight: 1,
    apply: (text, r) => {
      const depth = r.pick([20, 200, 1000]);
      const body = Array.from({ length: depth }, (_, i) => `${"  ".repeat(i + 1)}k${i}:`).join("\n");
      return text.replace(/^machine:\n/m, `machine:\n${body} deep\n`);
    },
  },
  hugeScalar: {
    weight: 2,
    apply: (text, r) => {
      // Mostly under the 1 MiB config limit; sometimes over it, rarely near apid's 8 MiB request cap.
      const size = r.chance(0.04)
        ? r.pick([2 * MiB, 8 * MiB - 64 * KiB, 8 * MiB + KiB])
        : r.pick([4 * KiB, 64 * KiB, 256 * KiB, MiB - 8 * KiB, MiB + 1]);
      const fill = r.pick(["a", " ", "é", "\\u0000", "'", "#"]);
      const value = fill.repeat(Math.ceil(size / fill.length)).slice(0, size);
      const all = lines(text);
      const at = someLine(all, r);
      const line = all[at] ?? "";
      const colon = line.indexOf(": ");
      all[at] = colon >= 0 ? `${line.slice(0, colon)}: "${value}"` : `${indentOf(line)}huge: "${value}"`;
      return all.join("\n");
    },
  },
  randomKeys: {
    weight: 10,
    apply: (text, r) => {
      const all = lines(text);
      for (let i = r.between(1, 50); i > 0; i--) {
        const at = someLine(all, r);
        all.splice(at, 0, `${indentOf(all[at] ?? "")}${randomKey(r)}: ${randomValue(r)}`);
      }
      return all.join("\n");
    },
  },
  typeConfusion: {
    weight: 10,
    apply: (text, r) => {
      const all = lines(text);
      for (let i = r.between(1, 4); i > 0; i--) {
        const at = someLine(all, r);
        const line = all[at] ?? "";
        const colon = line.indexOf(":");
        if (colon >= 0) all[at] = `${line.slice(0, colon)}: ${randomValue(r)}`;
        else all[at] = `${indentOf(line)}- ${randomValue(r)}`;
      }
      return all.join("\n");
    },
  },
  manyDocuments: {
    weight: 6,
    apply: (text, r) => {
      const n = r.pick([2, 10, 63, 64, 65, 500, 20_000, 100_000]);
      const doc = r.pick([
        () => "---\n",
        () => "--- {}\n",
        () => "--- !!str x\n",
        () => "---\nkind: Unknown\nx: 1\n",
        () => "...\n",
        // Copies of the config itself, while that stays small (a copy of a 1 MiB mutation × 65 is 65 MiB).
        () => (n <= 65 && text.length < 64 * KiB ? `---\n${text}\n` : "---\n"),
      ])();
      return `${text}\n${doc.repeat(n)}`;
    },
  },
  anchorsAliases: {
    weight: 6,
    apply: (text, r) => {
      const variant = r.int(5);
      if (variant === 0) {
        // A billion laughs: each level ten aliases of the one below.
        const levels = r.between(3, 9);
        const defs = Array.from({ length: levels }, (_, i) =>
          i === 0
            ? "  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"
            : `  l${i}: &l${i} [${Array(10)
                .fill(`*l${i - 1}`)
                .join(", ")}]`,
        );
        return text.replace(/^machine:\n/m, `machine:\n${defs.join("\n")}\n`);
      }
      if (variant === 1)
        return text.replace(/^machine:/m, "machine: &m").replace(/^cluster:\n/m, "cluster: *m\nx:\n");
      if (variant === 2) return text.replace(/^machine:\n/m, "machine:\n  <<: *nope\n");
      if (variant === 3)
        return text.replace(/^machine:\n/m, "machine:\n  base: &b {type: worker}\n  <<: *b\n");
      // Aliases far beyond the parser's alias limit.
      const many = Array.from({ length: r.pick([50, 101, 5000]) }, (_, i) => `  a${i}: *t`).join("\n");
      return text.replace(/^machine:\n {2}type: (\w+)/m, `machine:\n  type: &t $1\n${many}`);
    },
  },
  tagsAndDirectives: {
    weight: 4,
    apply: (text, r) =>
      r.pick([
        () => `%YAML 1.1\n---\n${text}`,
        () => `%YAML 9.9\n---\n${text}`,
        () => `%TAG ! tag:evil.example,2026:\n---\n${text}`,
        () => `%FOO bar\n${text}`,
        () => text.replace(/^version: /m, "version: !!binary "),
        () => text.replace(/^machine:/m, "machine: !!map"),
        () => text.replace(/^cluster:/m, "cluster: !!seq"),
        () => `!!set\n${text}`,
      ])(),
  },
  truncate: {
    weight: 5,
    apply: (text, r) => text.slice(0, r.int(text.length)),
  },
  oddCharacters: {
    weight: 6,
    apply: (text, r) => {
      let out = text;
      for (let i = r.between(1, 8); i > 0; i--) {
        const at = r.int(out.length);
        const c = r.pick([
          "\u0000",
          "\r",
          "\u2028",
          "\uFEFF",
          "\u200B",
          "\u202E",
          "\uD800",
          "\t",
          "\u0085",
          "😀",
          "\\",
        ]);
        out = out.slice(0, at) + c + out.slice(at);
      }
      return out;
    },
  },
  longLine: {
    weight: 1,
    apply: (text, r) => {
      const size = r.pick([100 * KiB, 900 * KiB]);
      return r.chance(0.5) ? `${text}\n# ${"c".repeat(size)}\n` : `${text}\n${"k".repeat(size)}: 1\n`;
    },
  },
  manyComments: {
    weight: 1,
    apply: (text, r) => `${text}\n${"# a comment line\n".repeat(r.pick([6000, 19_000, 25_000]))}`,
  },
  manyEntries: {
    weight: 1,
    apply: (text, r) => {
      const n = r.pick([100, 4000, 9900, 20_000]);
      return r.pick([
        () => text.replace(/^machine:\n/m, `machine:\n  files: [${Array(n).fill("{}").join(",")}]\n`),
        () =>
          text.replace(
            /^machine:\n/m,
            `machine:\n  sysctls:\n${Array.from({ length: Math.min(n, 6000) }, (_, i) => `    net.fuzz.k${i}: "${i}"`).join("\n")}\n`,
          ),
        () =>
          text.replace(
            /^ {2}certSANs:\n/m,
            `  certSANs:\n${Array.from({ length: Math.min(n, 6000) }, (_, i) => `    - 10.${(i >> 8) & 255}.${i & 255}.1`).join("\n")}\n`,
          ),
      ])();
    },
  },
  swapValues: {
    weight: 5,
    apply: (text, r) => {
      const all = lines(text);
      const withValue = all.map((l, i) => (/: \S/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (withValue.length < 2) return text;
      const a = r.pick(withValue);
      const b = r.pick(withValue);
      const value = (l: string) => l.slice(l.indexOf(": ") + 2);
      const key = (l: string) => l.slice(0, l.indexOf(": ") + 2);
      const la = all[a] ?? "";
      const lb = all[b] ?? "";
      all[a] = key(la) + value(lb);
      all[b] = key(lb) + value(la);
      return all.join("\n");
    },
  },
  hostname: {
    weight: 3,
    apply: (text, r) => {
      const name = r.pick([
        () => "a".repeat(r.between(1, 300)),
        () => `${"label.".repeat(r.between(1, 60))}example`,
        () => "-bad-",
        () => "UPPER.case",
        () => "with space",
        () => "",
        () => "x".repeat(63),
        () => `${"x".repeat(63)}.${"y".repeat(63)}`,
      ])();
      return text.replace(/^ {2}network: \{\}$/m, `  network:\n    hostname: "${name}"`);
    },
  },
  jsonSyntax: {
    weight: 2,
    // The same config as one JSON document (valid YAML), sometimes cut.
    apply: (text, r) => {
      const json = JSON.stringify(
        Object.fromEntries(lines(text).map((l, i) => [`line${i}`, l])),
        null,
        r.chance(0.5) ? 0 : 2,
      );
      return r.chance(0.3) ? json.slice(0, r.int(json.length)) : json;
    },
  },
};

const BYTE_MUTATORS: Record<string, { weight: number; apply: (data: Uint8Array, r: Random) => Uint8Array }> =
  {
    flipBytes: {
      weight: 12,
      apply: (data, r) => {
        const out = data.slice();
        for (let i = r.between(1, 16); i > 0 && out.length > 0; i--) out[r.int(out.length)] = r.int(256);
        return out;
      },
    },
    invalidUtf8: {
      weight: 2,
      apply: (data, r) => {
        const out = new Uint8Array(data.length + 2);
        const at = r.int(data.length + 1);
        out.set(data.subarray(0, at));
        out.set(
          r.pick([new Uint8Array([0xc3, 0x28]), new Uint8Array([0xff, 0xfe]), new Uint8Array([0xed, 0xa0])]),
          at,
        );
        out.set(data.subarray(at), at + 2);
        return out;
      },
    },
  };

/** Names of every mutation, text and bytes. */
export const MUTATION_KINDS: readonly string[] = [...Object.keys(MUTATORS), ...Object.keys(BYTE_MUTATORS)];

function weighted<T extends { weight: number }>(table: Record<string, T>, r: Random): [string, T] {
  const entries = Object.entries(table);
  let roll = r.next() * entries.reduce((sum, [, m]) => sum + m.weight, 0);
  for (const entry of entries) {
    roll -= entry[1].weight;
    if (roll < 0) return entry;
  }
  return entries[entries.length - 1] as [string, T];
}

/** One to three mutations of `original` (text mutations, then sometimes one on the bytes). */
export function mutateConfig(original: string, r: Random): MutatedConfig {
  const kinds: string[] = [];
  let text = original;
  const textSteps = r.chance(0.15) ? 0 : r.between(1, r.chance(0.8) ? 1 : 3);
  for (let i = 0; i < textSteps; i++) {
    const [name, m] = weighted(MUTATORS, r);
    text = m.apply(text, r);
    kinds.push(name);
  }
  let data = new TextEncoder().encode(text);
  if (textSteps === 0 || r.chance(0.1)) {
    const [name, m] = weighted(BYTE_MUTATORS, r);
    data = m.apply(data, r) as Uint8Array<ArrayBuffer>;
    kinds.push(name);
  }
  return { kinds, data };
}

/**
 * A change that keeps a control plane's config valid and harmless on a container-mode node (comments,
 * a hostname, host sysctls container mode leaves alone, another certificate SAN): what the fuzz
 * applies for real, before applying the original again.
 */
export function benignMutation(original: string, r: Random): { kind: string; text: string } {
  const kind = r.pick(["comments", "hostname", "sysctls", "certSan"] as const);
  switch (kind) {
    case "comments": {
      const all = lines(original);
      for (let i = r.between(1, 20); i > 0; i--)
        all.splice(1 + r.int(all.length - 1), 0, `# fuzz ${r.int(1e9)}`);
      return { kind, text: all.join("\n") };
    }
    case "hostname":
      return {
        kind,
        text: original.replace(/^ {2}network: \{\}$/m, `  network:\n    hostname: fuzz-${r.int(1e6)}`),
      };
    case "sysctls":
      return {
        kind,
        text: original.replace(
          /^machine:\n/m,
          `machine:\n  sysctls:\n    net.ipv4.ip_forward: "${r.int(2)}"\n`,
        ),
      };
    case "certSan":
      return {
        kind,
        text: original.replace(
          /^ {2}certSANs:\n/m,
          `  certSANs:\n    - 10.${r.int(256)}.${r.int(256)}.${r.between(1, 254)}\n`,
        ),
      };
  }
}
