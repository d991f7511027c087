import { expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { CONTROLPLANE_YAML, WORKER_YAML } from "../test/fixtures.ts";
import { CONFIG_LIMITS, checkConfigLimits, countLinesAndDocuments } from "./config-limits.ts";
import { validateConfig } from "./validate.ts";

const MARKER = "s3cr3t-marker";

test("real configs are far inside every limit", () => {
  expect(checkConfigLimits(CONTROLPLANE_YAML)).toEqual([]);
  expect(checkConfigLimits(WORKER_YAML)).toEqual([]);
  expect(countLinesAndDocuments(CONTROLPLANE_YAML)).toEqual({
    lines: CONTROLPLANE_YAML.split("\n").length - 1,
    documents: 4,
  });
});

test("a config over 1 MiB is refused with its size and the limit, in UTF-8 bytes", () => {
  const text = `# ${MARKER}\n${"x".repeat(CONFIG_LIMITS.maxBytes)}\n`;
  expect(checkConfigLimits(text)).toEqual([
    {
      path: "",
      line: 1,
      column: 1,
      message: `the config is at least ${text.length.toLocaleString("en-US")} bytes; the limit is 1,048,576 bytes`,
      severity: "error",
      code: "config_too_large",
      document: 0,
    },
  ]);
  // 600,000 two-byte characters: 1.2 MB though only 600k UTF-16 units.
  const wide = `a: "${"é".repeat(600_000)}"\n`;
  expect(checkConfigLimits(wide).map((i) => i.message)).toEqual([
    "the config is 1,200,006 bytes; the limit is 1,048,576 bytes",
  ]);
});

test("more than 20,000 lines (LF or CRLF) is refused at line 20,001", () => {
  for (const eol of ["\n", "\r\n"]) {
    const text = `${MARKER}: 1${eol}${`#${eol}`.repeat(CONFIG_LIMITS.maxLines)}`;
    const issues = checkConfigLimits(text);
    expect(issues).toEqual([
      expect.objectContaining({
        code: "too_many_lines",
        line: 20_001,
        message: "the config has 20,001 lines; the limit is 20,000",
      }),
    ]);
    expect(JSON.stringify(issues)).not.toContain(MARKER);
  }
});

test("more than 64 documents is refused at the line of the 65th", () => {
  const docs = Array.from({ length: 65 }, (_, i) => `kind: d${i}\n`);
  const issues = checkConfigLimits(`---\n${docs.join("---\n")}`);
  expect(issues).toEqual([
    expect.objectContaining({
      code: "too_many_documents",
      line: 129,
      message: "the config has 65 YAML documents; the limit is 64",
    }),
  ]);
  expect(checkConfigLimits(`---\n${docs.slice(1).join("---\n")}`)).toEqual([]);
});

test("100k empty documents are refused before they are parsed (each would cost the parser ~2 KB)", () => {
  const text = `${WORKER_YAML}${"---\n".repeat(100_000)}`;
  const result = validateConfig(text, { mode: "metal" });
  expect(result.ok).toBe(false);
  expect(result.documents).toEqual([]);
  // Only the pre-parse checks produce these codes; no YAML issue means no parse.
  expect(result.errors.map((e) => [e.code, e.message])).toEqual([
    [
      "too_many_lines",
      `the config has ${(text.split("\n").length - 1).toLocaleString("en-US")} lines; the limit is 20,000`,
    ],
    ["too_many_documents", "the config has 100,001 YAML documents; the limit is 64"],
  ]);
});

test("the document count is the parser's, markers and content alike", () => {
  const cases = [
    "",
    "# only a comment\n",
    "---\n",
    "---\n---\n",
    "a: 1\n---\n",
    "a: 1\n...\nb: 2\n",
    "%YAML 1.2\n---\na: 1\n",
    "a\n...\n",
    "...\n",
    "...\n...\n",
    "---\n...\n",
    "--- a\n--- b\n",
    "a: |\n  ---\n  ...\n---\n",
    "a: 1\r\n---\r\nb: 2\r\n",
    "a: 1\r---\rb: 2",
    "  # indented comment\n\n---x: 1\n",
    "----\n---\t# tab after the marker\n",
  ];
  for (const text of cases) {
    const parsed = parseAllDocuments(text);
    const expected = Array.isArray(parsed) ? parsed.length : 0;
    expect({ text, documents: countLinesAndDocuments(text).documents }).toEqual({
      text,
      documents: expected,
    });
  }
});
