// Where containerd's API protos (and the protos they import) live on a Debian system, and the
// import path each one must have in the staged tree that `buf generate` runs over.
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
const CONTAINERD_API = "github.com/containerd/containerd/api";

/** containerd's API protos: every file under api/ except the ttrpc event service (not on the gRPC socket). */
const CONTAINERD_API_FILES = [
  "events/container.proto",
  "events/content.proto",
  "events/image.proto",
  "events/namespace.proto",
  "events/snapshot.proto",
  "events/task.proto",
  "services/containers/v1/containers.proto",
  "services/content/v1/content.proto",
  "services/diff/v1/diff.proto",
  "services/events/v1/events.proto",
  "services/images/v1/images.proto",
  "services/introspection/v1/introspection.proto",
  "services/leases/v1/leases.proto",
  "services/namespaces/v1/namespace.proto",
  "services/snapshots/v1/snapshots.proto",
  "services/tasks/v1/tasks.proto",
  "services/version/v1/version.proto",
  "types/descriptor.proto",
  "types/metrics.proto",
  "types/mount.proto",
  "types/platform.proto",
  "types/task/task.proto",
];

export function protoSources(gocode: string = GOCODE): ProtoSource[] {
  const containerd = CONTAINERD_API_FILES.map((f) => ({
    debianPackage: "golang-github-containerd-containerd-dev",
    file: join(gocode, CONTAINERD_API, f),
    importPath: `${CONTAINERD_API}/${f}`,
  }));
  const fieldpath = "github.com/containerd/containerd/protobuf/plugin/fieldpath.proto";
  // Task metrics arrive as an Any holding cgroups v1 or v2 statistics.
  const cgroups = [
    "github.com/containerd/cgroups/stats/v1/metrics.proto",
    "github.com/containerd/cgroups/v2/stats/metrics.proto",
  ];
  return [
    ...containerd,
    {
      debianPackage: "golang-github-containerd-containerd-dev",
      file: join(gocode, fieldpath),
      importPath: fieldpath,
    },
    ...cgroups.map((p) => ({
      debianPackage: "golang-github-containerd-cgroups-dev",
      file: join(gocode, p),
      importPath: p,
    })),
    {
      debianPackage: "golang-github-gogo-protobuf-dev",
      file: join(gocode, "github.com/gogo/protobuf/gogoproto/gogo.proto"),
      importPath: "gogoproto/gogo.proto",
    },
    {
      debianPackage: "golang-github-gogo-googleapis-dev",
      file: join(gocode, "github.com/gogo/googleapis/google/rpc/status.proto"),
      importPath: "google/rpc/status.proto",
    },
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
