import type { FieldPath, PathSegment } from "./field-path.ts";
import { formatPath } from "./field-path.ts";
import { draft, type IssueDraft } from "./issue-draft.ts";
import { asArray, asRecord, asString, at, has, nonEmpty } from "./raw.ts";
import type { Mode } from "./types.ts";
import { type Cidr, cidrsOverlap, formatCidr, parseCidr } from "./validators/cidr.ts";
import { parseIp } from "./validators/ip.ts";
import { keyMatchesCertificate, parseCertificate, parsePrivateKey } from "./validators/pem.ts";

type MachineType = "controlplane" | "worker";
const BOTH: readonly MachineType[] = ["controlplane", "worker"];
const CONTROLPLANE: readonly MachineType[] = ["controlplane"];

/** Fields that must be set (non-empty) depending on the machine type, and why. */
export const TYPE_REQUIREMENTS: readonly { path: string[]; types: readonly MachineType[]; reason: string }[] =
  [
    {
      path: ["machine", "token"],
      types: BOTH,
      reason: "nodes present it to trustd to obtain their certificates",
    },
    { path: ["machine", "ca", "crt"], types: BOTH, reason: "it authenticates API clients" },
    {
      path: ["machine", "ca", "key"],
      types: CONTROLPLANE,
      reason: "control planes sign node certificates with it",
    },
    {
      path: ["cluster", "controlPlane", "endpoint"],
      types: BOTH,
      reason: "kubelet reaches the Kubernetes API through it",
    },
    { path: ["cluster", "token"], types: BOTH, reason: "workers join the cluster with this bootstrap token" },
    { path: ["cluster", "ca", "crt"], types: BOTH, reason: "it authenticates the Kubernetes API" },
    {
      path: ["cluster", "ca", "key"],
      types: CONTROLPLANE,
      reason: "control planes issue Kubernetes certificates",
    },
    {
      path: ["cluster", "serviceAccount", "key"],
      types: CONTROLPLANE,
      reason: "kube-apiserver signs service account tokens with it",
    },
    {
      path: ["cluster", "etcd", "ca", "key"],
      types: CONTROLPLANE,
      reason: "etcd's certificates are issued from it",
    },
  ];

/** Fields that only control planes may carry (secrets a worker must not hold, or control-plane services). */
export const CONTROLPLANE_ONLY: readonly { path: string[]; what: string }[] = [
  { path: ["machine", "ca", "key"], what: "the OS CA private key" },
  { path: ["cluster", "ca", "key"], what: "the Kubernetes CA private key" },
  { path: ["cluster", "aggregatorCA", "key"], what: "the aggregator CA private key" },
  { path: ["cluster", "serviceAccount", "key"], what: "the service account signing key" },
  { path: ["cluster", "etcd"], what: "etcd settings" },
];

/** Certificate authorities whose key (when present) must match their certificate. */
const CERTIFICATE_AUTHORITIES: readonly string[][] = [
  ["machine", "ca"],
  ["cluster", "ca"],
  ["cluster", "aggregatorCA"],
  ["cluster", "etcd", "ca"],
];

/**
 * Where machine.files may write (machined's defaultFileTargets maps them onto the node): /var, and
 * containerd CRI fragments kept on the writable /system. Everything else is the read-only squashfs
 * root, where the write would fail at boot with EROFS.
 */
export const MACHINE_FILE_PREFIXES: readonly string[] = ["/var/", "/etc/cri/conf.d/"];

/** Kernel arguments that undo the hardening arguments Bronze refuses to boot without. */
export const HARDENING_OVERRIDES: readonly string[] = ["pti=off", "nopti", "slab_merge", "init_on_alloc=0"];

interface Context {
  mode: Mode;
  document: number;
  out: IssueDraft[];
}

function error(
  ctx: Context,
  path: FieldPath,
  code: string,
  message: string,
  anchor: "value" | "key" | "parent" = "value",
) {
  ctx.out.push(draft(ctx.document, path, code, message, { anchor }));
}

function machineType(config: unknown): MachineType | undefined {
  const type = at(config, "machine", "type");
  return type === "controlplane" || type === "worker" ? type : undefined;
}

function typeRules(config: unknown, type: MachineType, ctx: Context): void {
  for (const req of TYPE_REQUIREMENTS) {
    if (!req.types.includes(type) || nonEmpty(at(config, ...req.path)) !== undefined) continue;
    // A present but invalid value is the schema's to report.
    if (has(config, ...req.path) && at(config, ...req.path) !== "") continue;
    const who = req.types.length === 2 ? "every machine" : "control planes";
    error(ctx, req.path, "required", `required on ${who}: ${req.reason}`, "parent");
  }
  if (type !== "worker") return;
  for (const rule of CONTROLPLANE_ONLY) {
    if (!has(config, ...rule.path)) continue;
    const value = at(config, ...rule.path);
    if (value === "" || value === null) continue;
    error(
      ctx,
      rule.path,
      "controlplane_only",
      `${rule.what} must not be on a worker (control planes only)`,
      "key",
    );
  }
}

function endpointRule(config: unknown, ctx: Context): void {
  const endpoint = asString(at(config, "cluster", "controlPlane", "endpoint"));
  if (endpoint === undefined) return;
  let protocol: string;
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    return; // the schema reports unparseable URLs
  }
  if (protocol === "http:") {
    error(
      ctx,
      ["cluster", "controlPlane", "endpoint"],
      "endpoint_not_https",
      `must be an https:// URL (got ${endpoint})`,
    );
  }
}

/** How many pod and service subnets (in order) every other one is checked against for overlaps. */
const OVERLAP_CHECKED = 8;

function subnetRules(config: unknown, ctx: Context): void {
  const seen: { path: PathSegment[]; cidr: Cidr; text: string }[] = [];
  for (const list of ["podSubnets", "serviceSubnets"]) {
    const families = new Map<number, string>();
    asArray(at(config, "cluster", "network", list)).forEach((item, i) => {
      const text = asString(item);
      const cidr = text === undefined ? undefined : parseCidr(text);
      if (!cidr || text === undefined) return;
      const path: PathSegment[] = ["cluster", "network", list, i];
      const sameFamily = families.get(cidr.family);
      if (sameFamily !== undefined) {
        error(
          ctx,
          path,
          "too_many_subnets",
          `at most one IPv${cidr.family} subnet per list (dual stack: one IPv4 and one IPv6); ${sameFamily} is already IPv${cidr.family}`,
        );
      } else {
        families.set(cidr.family, formatPath(path));
      }
      for (const other of seen) {
        if (cidrsOverlap(other.cidr, cidr)) {
          error(
            ctx,
            path,
            "subnet_overlap",
            `${text} overlaps ${formatPath(other.path)} (${formatCidr(other.cidr)})`,
          );
        }
      }
      // A list holds one subnet per family: comparing each with the first few is enough, and keeps
      // a hostile list of thousands linear (all pairs would be quadratic in time and in issues).
      if (seen.length < OVERLAP_CHECKED) seen.push({ path, cidr, text });
    });
  }
}

function installRule(config: unknown, ctx: Context): void {
  const install = asRecord(at(config, "machine", "install"));
  if (ctx.mode !== "metal" || !install || has(install, "disk")) return;
  error(
    ctx,
    ["machine", "install", "disk"],
    "install_disk_required",
    "required in metal mode when machine.install is set: the disk to install to, e.g. /dev/sda",
    "parent",
  );
}

function routeRules(routes: unknown, base: PathSegment[], ctx: Context): void {
  asArray(routes).forEach((route, i) => {
    const network = asString(at(route, "network"));
    const gateway = asString(at(route, "gateway"));
    const cidr = network === undefined ? undefined : parseCidr(network);
    const ip = gateway === undefined ? undefined : parseIp(gateway);
    if (cidr && ip && cidr.family !== ip.family) {
      error(
        ctx,
        [...base, i, "gateway"],
        "route_family_mismatch",
        `gateway ${gateway} is IPv${ip.family} but the route's network ${network} is IPv${cidr.family}`,
      );
    }
  });
}

function networkRules(config: unknown, ctx: Context): void {
  const names = new Map<string, number>();
  asArray(at(config, "machine", "network", "interfaces")).forEach((iface, i) => {
    const base: PathSegment[] = ["machine", "network", "interfaces", i];
    const name = asString(at(iface, "interface"));
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) {
        error(
          ctx,
          [...base, "interface"],
          "duplicate_interface",
          `interface "${name}" is already configured at interfaces[${first}]; merge the two entries`,
        );
      } else {
        names.set(name, i);
      }
    }
    routeRules(at(iface, "routes"), [...base, "routes"], ctx);
    const vlanIds = new Map<number, number>();
    asArray(at(iface, "vlans")).forEach((vlan, j) => {
      const id = at(vlan, "vlanId");
      if (typeof id === "number") {
        const first = vlanIds.get(id);
        if (first !== undefined) {
          error(
            ctx,
            [...base, "vlans", j, "vlanId"],
            "duplicate_vlan",
            `VLAN ${id} is already configured at vlans[${first}]`,
          );
        } else {
          vlanIds.set(id, j);
        }
      }
      routeRules(at(vlan, "routes"), [...base, "vlans", j, "routes"], ctx);
    });
  });
}

function cniRule(config: unknown, ctx: Context): void {
  const cni = asRecord(at(config, "cluster", "network", "cni"));
  if (!cni) return;
  const urls = asArray(cni.urls);
  if (cni.name === "custom" && urls.length === 0) {
    error(
      ctx,
      ["cluster", "network", "cni", "urls"],
      "required",
      "a custom CNI needs the URLs of its manifests",
      "parent",
    );
  } else if (cni.name !== "custom" && has(cni, "urls") && typeof cni.name === "string") {
    error(
      ctx,
      ["cluster", "network", "cni", "urls"],
      "cni_urls_not_custom",
      `urls are only used with name: custom (name is ${cni.name})`,
      "key",
    );
  }
}

function certificateRules(config: unknown, ctx: Context): void {
  for (const path of CERTIFICATE_AUTHORITIES) {
    const crt = nonEmpty(at(config, ...path, "crt"));
    if (crt === undefined) continue;
    const cert = parseCertificate(crt);
    if (typeof cert === "string") continue; // reported by the schema
    if (!cert.ca) {
      error(
        ctx,
        [...path, "crt"],
        "not_a_ca",
        "is not a CA certificate (basicConstraints CA:TRUE is required)",
      );
    }
    const keyText = nonEmpty(at(config, ...path, "key"));
    if (keyText === undefined) continue;
    const key = parsePrivateKey(keyText);
    if (typeof key === "string") continue;
    if (!keyMatchesCertificate(cert, key)) {
      error(
        ctx,
        [...path, "key"],
        "key_mismatch",
        `is not the private key of ${formatPath([...path, "crt"])}`,
      );
    }
  }
}

function kernelArgRules(config: unknown, ctx: Context): void {
  asArray(at(config, "machine", "install", "extraKernelArgs")).forEach((arg, i) => {
    if (typeof arg === "string" && HARDENING_OVERRIDES.includes(arg)) {
      error(
        ctx,
        ["machine", "install", "extraKernelArgs", i],
        "kernel_arg_hardening",
        `${arg} undoes a required hardening argument (slab_nomerge pti=on init_on_alloc=1): the node would refuse to boot`,
      );
    }
  });
}

function fileRules(config: unknown, ctx: Context): void {
  asArray(at(config, "machine", "files")).forEach((file, i) => {
    const path = asString(at(file, "path"));
    if (path === undefined || !path.startsWith("/")) return; // the schema reports it
    if (MACHINE_FILE_PREFIXES.some((prefix) => path.startsWith(prefix) && path.length > prefix.length))
      return;
    error(
      ctx,
      ["machine", "files", i, "path"],
      "file_path_not_writable",
      `${path} is on the read-only root filesystem: machine.files may only write under ${MACHINE_FILE_PREFIXES.join(" or ")}`,
    );
  });
}

/** Rules spanning several fields, run on the raw v1alpha1 value so that they report even when the schema fails. */
export function crossFieldRules(config: unknown, options: { mode: Mode; document: number }): IssueDraft[] {
  const ctx: Context = { ...options, out: [] };
  const type = machineType(config);
  if (type) typeRules(config, type, ctx);
  endpointRule(config, ctx);
  subnetRules(config, ctx);
  installRule(config, ctx);
  networkRules(config, ctx);
  cniRule(config, ctx);
  certificateRules(config, ctx);
  kernelArgRules(config, ctx);
  fileRules(config, ctx);
  return ctx.out;
}
