// Where etcd's v3 API protos (and the protos they import) live on a Debian system, and the import
// path each one must have in the staged tree that `buf generate` runs over.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface ProtoSource {
  /** Debian package that installs the file (named in errors when it is missing). */
  debianPackage: string;
  /** Absolute path of the file as installed by the package. */
  file: string;
  /** Path relative to the staged root: the path the other protos import it by. */
  importPath: string;
}

const GOCODE = "/usr/share/gocode/src";
const ETCD = "go.etcd.io/etcd";

/** etcd's v3 API (rpc.proto) and the two protos of etcd's it imports, by the paths rpc.proto uses. */
const ETCD_FILES = [
  { file: "etcdserver/etcdserverpb/rpc.proto", importPath: "etcd/etcdserver/etcdserverpb/rpc.proto" },
  { file: "mvcc/mvccpb/kv.proto", importPath: "etcd/mvcc/mvccpb/kv.proto" },
  { file: "auth/authpb/auth.proto", importPath: "etcd/auth/authpb/auth.proto" },
];

export function protoSources(gocode: string = GOCODE): ProtoSource[] {
  const etcd = ETCD_FILES.map((f) => ({
    debianPackage: "golang-etcd-server-dev",
    file: join(gocode, ETCD, f.file),
    importPath: f.importPath,
  }));
  // rpc.proto annotates its methods for etcd's HTTP gateway (google.api.http).
  const googleApi = ["google/api/annotations.proto", "google/api/http.proto"];
  return [
    ...etcd,
    {
      debianPackage: "golang-github-gogo-protobuf-dev",
      file: join(gocode, "github.com/gogo/protobuf/gogoproto/gogo.proto"),
      importPath: "gogoproto/gogo.proto",
    },
    ...googleApi.map((p) => ({
      debianPackage: "golang-github-gogo-googleapis-dev",
      file: join(gocode, "github.com/gogo/googleapis", p),
      importPath: p,
    })),
  ];
}

/** Imports a proto file declares (`import "x";`, `import weak "x";`, `import public "x";`). */
export function protoImports(text: string): string[] {
  const imports: string[] = [];
  for (const m of text.matchAll(/^\s*import\s+(?:weak\s+|public\s+)?"([^"]+)"\s*;/gm))
    imports.push(m[1] as string);
  return imports;
}

/**
 * Checks the sources exist and that every import resolves to another source or to a protobuf
 * well-known type (which buf provides). Returns the problems found, each naming file and package.
 */
export function checkProtoSources(sources: ProtoSource[]): string[] {
  const problems: string[] = [];
  const staged = new Set(sources.map((s) => s.importPath));
  for (const s of sources) {
    if (!existsSync(s.file)) {
      problems.push(`${s.file} is missing: install the Debian package ${s.debianPackage}`);
      continue;
    }
    for (const imp of protoImports(readFileSync(s.file, "utf8"))) {
      if (!staged.has(imp) && !imp.startsWith("google/protobuf/"))
        problems.push(`${s.file} imports ${imp}, which is not staged`);
    }
  }
  return problems;
}
