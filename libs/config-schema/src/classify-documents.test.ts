import { expect, test } from "bun:test";
import { classifyDocuments, documentIdentity } from "./classify-documents.ts";
import { parseStream } from "./parse.ts";

const classify = (text: string) => classifyDocuments(parseStream(text).documents);
const codes = (text: string) => classify(text).issues.map((i) => [i.document, i.path.join("."), i.code]);

test("identifies the machine config by version and typed documents by kind", () => {
  const result = classify(
    "apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: a\nurl: tcp://h:1\n---\nversion: v1alpha1\n",
  );
  expect(result.issues).toEqual([]);
  expect(result.machine?.index).toBe(1);
  expect(result.documents.map((d) => d.kind)).toEqual(["KmsgLogConfig", "v1alpha1"]);
});

test("unknown kinds are errors naming the document index", () => {
  const result = classify("version: v1alpha1\n---\napiVersion: v1alpha1\nkind: NetworkRuleConfig\n");
  expect(result.issues).toHaveLength(1);
  expect(result.issues[0]).toMatchObject({ document: 1, path: ["kind"], code: "unknown_kind" });
  expect(result.issues[0]?.message).toContain("document index 1");
  expect(result.issues[0]?.message).toContain("KmsgLogConfig");
});

test("duplicate kind+name and duplicate singletons are errors; distinct names are fine", () => {
  const k = (name: string) => `apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: ${name}\nurl: tcp://h:1\n`;
  const w = "apiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevice: /dev/watchdog0\n";
  expect(codes(`version: v1alpha1\n---\n${k("a")}---\n${k("b")}`)).toEqual([]);
  expect(codes(`version: v1alpha1\n---\n${k("a")}---\n${k("a")}`)).toEqual([
    [2, "name", "duplicate_document"],
  ]);
  expect(codes(`version: v1alpha1\n---\n${w}---\n${w}`)).toEqual([[2, "kind", "duplicate_document"]]);
  expect(codes("version: v1alpha1\n---\nversion: v1alpha1\n")).toEqual([
    [1, "version", "duplicate_document"],
  ]);
});

test("documents that are neither, or not maps, or lack a kind", () => {
  expect(codes("version: v1alpha1\n---\nfoo: bar\n")).toEqual([[1, "", "unknown_document"]]);
  expect(codes("version: v1alpha1\n---\n- a\n")).toEqual([[1, "", "invalid_document"]]);
  expect(codes("version: v1alpha1\n---\napiVersion: v1alpha1\n")).toEqual([[1, "kind", "required"]]);
});

test("documentIdentity", () => {
  expect(documentIdentity({ version: "v1alpha1" })).toEqual({ kind: "v1alpha1" });
  expect(documentIdentity({ apiVersion: "v1alpha1", kind: "KmsgLogConfig", name: "x" })).toEqual({
    kind: "KmsgLogConfig",
    name: "x",
  });
  expect(documentIdentity([1])).toBeUndefined();
});
