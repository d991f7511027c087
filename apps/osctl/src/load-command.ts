// Loads a command's implementation on demand. In the compiled osctl every command is its own
// embedded entry point (see scripts/build.ts), so `osctl --help` and light commands never load
// the PKI, zod or yaml; from source the same call imports the .ts file.
import { isCompiled } from "./compiled.ts";

type Commands = {
  cluster: typeof import("./commands/cluster.ts");
  files: typeof import("./commands/files.ts");
  etcd: typeof import("./commands/etcd.ts");
  "gen-config": typeof import("./commands/gen-config.ts");
  "gen-pki": typeof import("./commands/gen-pki.ts");
  "gen-secrets": typeof import("./commands/gen-secrets.ts");
  image: typeof import("./commands/image.ts");
  logs: typeof import("./commands/logs.ts");
  "machine-config": typeof import("./commands/machine-config.ts");
  "machineconfig-patch": typeof import("./commands/machineconfig-patch.ts");
  osconfig: typeof import("./commands/osconfig.ts");
  "osconfig-new": typeof import("./commands/osconfig-new.ts");
  power: typeof import("./commands/power.ts");
  pxe: typeof import("./commands/pxe.ts");
  reset: typeof import("./commands/reset.ts");
  services: typeof import("./commands/services.ts");
  "system-info": typeof import("./commands/system-info.ts");
  upgrade: typeof import("./commands/upgrade.ts");
  validate: typeof import("./commands/validate.ts");
  version: typeof import("./commands/version.ts");
};

export function loadCommand<K extends keyof Commands>(name: K): Promise<Commands[K]> {
  const specifier = `./commands/${name}.${isCompiled ? "js" : "ts"}`;
  return import(specifier) as Promise<Commands[K]>;
}
