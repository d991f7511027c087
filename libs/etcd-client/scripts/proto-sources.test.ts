import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkProtoSources, protoImports, protoSources } from "./proto-sources.ts";

const dir = mkdtempSync(join(tmpdir(), "proto-sources-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the Debian packages provide every proto, and every import resolves", () => {
  const sources = protoSources();
  expect(sources.length).toBe(6);
  expect(checkProtoSources(sources)).toEqual([]);
  expect(sources.map((s) => s.importPath)).toContain("etcd/etcdserver/etcdserverpb/rpc.proto");
});

test("imports are parsed, including weak and public ones", () => {
  expect(
    protoImports(
      'import "a.proto";\nimport weak "b.proto";\n  import public "c.proto";\n// import "d.proto";',
    ),
  ).toEqual(["a.proto", "b.proto", "c.proto"]);
});

test("a missing file names its Debian package; an unresolved import is reported", () => {
  const gocode = join(dir, "gocode");
  const sources = protoSources(gocode);
  const problems = checkProtoSources(sources);
  expect(problems[0]).toContain("is missing: install the Debian package golang-etcd-server-dev");
  const f = join(dir, "x.proto");
  mkdirSync(dir, { recursive: true });
  writeFileSync(f, 'import "nowhere/y.proto";\nimport "google/protobuf/any.proto";');
  expect(checkProtoSources([{ debianPackage: "p", file: f, importPath: "x.proto" }])).toEqual([
    `${f} imports nowhere/y.proto, which is not staged`,
  ]);
});
