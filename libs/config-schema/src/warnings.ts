import type { PathSegment } from "./field-path.ts";
import { draft, type IssueDraft } from "./issue-draft.ts";
import { asArray, asRecord, at, has } from "./raw.ts";
import type { Mode } from "./types.ts";
import { parseImageRef } from "./validators/image-ref.ts";

/** Deprecated Talos fields that are accepted and ignored. */
export const DEPRECATED_FIELDS: readonly { path: string[]; message: string }[] = [
  { path: ["persist"], message: "persist is deprecated and ignored: the config is always persisted" },
  {
    path: ["machine", "install", "bootloader"],
    message: "install.bootloader is deprecated and ignored: the bootloader is always installed",
  },
];

/** Control-plane settings that a worker ignores. */
const IGNORED_ON_WORKER: readonly string[][] = [
  ["cluster", "allowSchedulingOnControlPlanes"],
  ["cluster", "secretboxEncryptionSecret"],
  ["cluster", "apiServer"],
  ["cluster", "controllerManager"],
  ["cluster", "scheduler"],
];

const IMAGE_FIELDS: readonly string[][] = [
  ["machine", "install", "image"],
  ["machine", "kubelet", "image"],
  ["cluster", "etcd", "image"],
  ["cluster", "apiServer", "image"],
  ["cluster", "controllerManager", "image"],
  ["cluster", "scheduler", "image"],
];

/** Risky or deprecated settings: not errors unless validation is strict. */
export function configWarnings(config: unknown, options: { mode: Mode; document: number }): IssueDraft[] {
  const out: IssueDraft[] = [];
  const warn = (path: PathSegment[], code: string, message: string, anchor: "value" | "key" = "value") =>
    out.push(draft(options.document, path, code, message, { anchor, severity: "warning" }));

  if (at(config, "debug") === true)
    warn(["debug"], "debug_enabled", "debug is on: verbose console logging, not for production");
  for (const field of DEPRECATED_FIELDS) {
    if (has(config, ...field.path)) warn(field.path, "deprecated_field", field.message, "key");
  }
  if (at(config, "machine", "install", "wipe") === true) {
    warn(
      ["machine", "install", "wipe"],
      "install_wipe",
      "wipe: true erases the whole install disk, including any data on it",
    );
  }
  if (at(config, "machine", "type") === "worker") {
    for (const path of IGNORED_ON_WORKER) {
      if (has(config, ...path))
        warn(
          path,
          "ignored_on_worker",
          `${path[path.length - 1]} only applies to control planes; a worker ignores it`,
          "key",
        );
    }
  }
  const checkAddressing = (item: unknown, path: PathSegment[]) => {
    if (at(item, "dhcp") === true && asArray(at(item, "addresses")).length > 0) {
      warn(
        [...path, "addresses"],
        "dhcp_with_static",
        "static addresses alongside dhcp: true; the interface gets both",
        "key",
      );
    }
  };
  asArray(at(config, "machine", "network", "interfaces")).forEach((iface, i) => {
    const path: PathSegment[] = ["machine", "network", "interfaces", i];
    checkAddressing(iface, path);
    asArray(at(iface, "vlans")).forEach((vlan, j) => {
      checkAddressing(vlan, [...path, "vlans", j]);
    });
  });
  asArray(at(config, "machine", "files")).forEach((file, i) => {
    const mode = at(file, "permissions");
    if (
      typeof mode === "number" &&
      Number.isInteger(mode) &&
      mode >= 0 &&
      mode <= 0o7777 &&
      (mode & 0o002) !== 0
    ) {
      warn(
        ["machine", "files", i, "permissions"],
        "world_writable",
        `0o${mode.toString(8)} makes the file writable by everyone`,
      );
    }
  });
  for (const path of IMAGE_FIELDS) {
    const image = at(config, ...path);
    if (typeof image !== "string") continue;
    const ref = parseImageRef(image);
    if (ref && ref.digest === undefined && (ref.tag === undefined || ref.tag === "latest")) {
      warn(path, "image_untagged", `${image} has no fixed tag or digest: nodes may run different versions`);
    }
  }
  if (options.mode === "container") {
    if (asRecord(at(config, "machine", "install"))) {
      warn(
        ["machine", "install"],
        "ignored_in_mode",
        "machine.install is ignored in container mode (nothing is installed)",
        "key",
      );
    }
    if (asArray(at(config, "machine", "kernel", "modules")).length > 0) {
      warn(
        ["machine", "kernel", "modules"],
        "ignored_in_mode",
        "kernel modules are not loaded in container mode",
        "key",
      );
    }
  }
  return out;
}
