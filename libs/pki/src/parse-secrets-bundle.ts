import { isNode, LineCounter, parseDocument } from "yaml";
import {
  assertIsCA,
  assertKeyMatchesCertificate,
  type CaCertificate,
  type CertificateAndKey,
  readCaCertificate,
} from "./certificate-authority.ts";
import { exportPrivateKeyPem, type LoadedPrivateKey, loadPrivateKey } from "./key-pair.ts";
import { decodePemBase64, decodeSinglePem } from "./pem.ts";
import { PkiError, type PkiProblem } from "./pki-error.ts";
import type { SecretsBundle } from "./secrets-bundle.ts";
import { BOOTSTRAP_TOKEN_PATTERN } from "./tokens.ts";

type LeafKind = "random32" | "secretbox" | "token" | "crt" | "key" | "service-account-key";
type Shape = { [key: string]: Shape | LeafKind };

const CA: Shape = { crt: "crt", key: "key" };
const CA_NAMES = ["etcd", "k8s", "k8saggregator", "os"] as const;
const SHAPE: Shape = {
  cluster: { id: "random32", secret: "random32" },
  secrets: { bootstraptoken: "token", secretboxencryptionsecret: "secretbox" },
  trustdinfo: { token: "token" },
  certs: { etcd: CA, k8s: CA, k8saggregator: CA, k8sserviceaccount: { key: "service-account-key" }, os: CA },
};

const BASE64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_ANY = /^[A-Za-z0-9+/_-]+={0,2}$/; // standard or URL-safe (Talos writes the cluster id URL-safe)

class Problems {
  readonly list: PkiProblem[] = [];
  constructor(private readonly lineOf: (path: string[]) => number | undefined) {}
  add(path: string[], message: string): void {
    const line = this.lineOf(path);
    this.list.push({
      path: path.join(".") || "(document)",
      message,
      ...(line === undefined ? {} : { line }),
    });
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the document against SHAPE; returns the string leaves by dotted path. */
function checkShape(
  shape: Shape,
  value: unknown,
  path: string[],
  problems: Problems,
  leaves: Map<string, string>,
) {
  if (value === undefined || value === null) {
    problems.add(path, "missing");
    return;
  }
  if (!isMapping(value)) {
    problems.add(path, "must be a mapping");
    return;
  }
  for (const key of Object.keys(value)) {
    if (!(key in shape))
      problems.add([...path, key], `unknown field (expected ${Object.keys(shape).join(", ")})`);
  }
  for (const [key, kind] of Object.entries(shape)) {
    const childPath = [...path, key];
    const child = value[key];
    if (typeof kind !== "string") {
      checkShape(kind, child, childPath, problems, leaves);
    } else if (child === undefined || child === null) {
      problems.add(childPath, "missing");
    } else if (typeof child !== "string") {
      problems.add(childPath, "must be a string");
    } else if (child.trim() === "") {
      problems.add(childPath, "must not be empty");
    } else {
      leaves.set(childPath.join("."), child);
    }
  }
}

/** The reason of a nested error, without its own "<what>: " prefix. */
function reason(error: unknown, what: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(`${what}: `) ? message.slice(what.length + 2) : message;
}

function decodedLength(text: string, pattern: RegExp): number | undefined {
  return pattern.test(text) ? Buffer.from(text, "base64").length : undefined;
}

interface CheckedKey {
  pem: string;
  loaded: LoadedPrivateKey;
}

async function checkKey(value: string, path: string[], problems: Problems): Promise<CheckedKey | undefined> {
  const what = path.join(".");
  let pem: string;
  try {
    pem = decodePemBase64(value);
  } catch (error) {
    problems.add(path, `not a PEM private key: ${reason(error, what)}`);
    return undefined;
  }
  try {
    const loaded = await loadPrivateKey(pem, what);
    // Keep PKCS#8 text as written; normalise SEC1 and Talos' "ED25519 PRIVATE KEY" to PKCS#8.
    const label = decodeSinglePem(pem, ["PRIVATE KEY", "EC PRIVATE KEY", "ED25519 PRIVATE KEY"], what).label;
    return { pem: label === "PRIVATE KEY" ? pem : await exportPrivateKeyPem(loaded.privateKey), loaded };
  } catch (error) {
    problems.add(path, `not a PEM private key: ${reason(error, what)}`);
    return undefined;
  }
}

function checkCertificate(value: string, path: string[], problems: Problems) {
  const what = path.join(".");
  try {
    const pem = decodePemBase64(value);
    const certificate = readCaCertificate(pem, what);
    try {
      assertIsCA(certificate, what);
    } catch (error) {
      problems.add(path, reason(error, what));
      return undefined;
    }
    return { pem, certificate };
  } catch (error) {
    problems.add(path, `not a PEM certificate: ${reason(error, what)}`);
    return undefined;
  }
}

function checkLeaf(kind: LeafKind, value: string, path: string[], problems: Problems): void {
  if (kind === "token" && !BOOTSTRAP_TOKEN_PATTERN.test(value)) {
    problems.add(path, "not a token of the form [a-z0-9]{6}.[a-z0-9]{16}");
  }
  if (kind === "random32" && decodedLength(value, BASE64_ANY) !== 32) {
    problems.add(path, "must be base64 of 32 random bytes");
  }
  if (kind === "secretbox" && decodedLength(value, BASE64_STD) !== 32) {
    problems.add(path, "must be base64 of a 32-byte key");
  }
}

function lineFinder(text: string) {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (path: string[]): number | undefined => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { document, lineCounter, lineOf };
}

function fail(unsorted: PkiProblem[]): never {
  const problems = [...unsorted].sort(
    (a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER),
  );
  const lines = problems.map(
    (p) => `  ${p.path}: ${p.message}${p.line === undefined ? "" : ` (line ${p.line})`}`,
  );
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  throw new PkiError("invalid-bundle", `invalid secrets bundle (${count}):\n${lines.join("\n")}`, {
    problems,
  });
}

/**
 * Parses a secrets bundle (YAML, Talos `secrets.yaml` layout) and validates every field: tokens, secrets,
 * each certificate (a CA) and key, and that each key matches its certificate. Throws PkiError
 * "invalid-bundle" whose `problems` (and message) list every problem with its field path and line.
 */
export async function parseSecretsBundle(text: string): Promise<SecretsBundle> {
  if (typeof text !== "string") fail([{ path: "(document)", message: "expected YAML text" }]);
  const { document, lineCounter, lineOf } = lineFinder(text);
  if (document.errors.length > 0) {
    fail(
      document.errors.map((error) => ({
        path: "(yaml)",
        message: error.message.split("\n")[0] ?? error.message,
        line: lineCounter.linePos(error.pos[0]).line,
      })),
    );
  }
  const problems = new Problems(lineOf);
  const leaves = new Map<string, string>();
  checkShape(SHAPE, document.toJS(), [], problems, leaves);

  const kindOf = (path: string): LeafKind => {
    let shape: Shape | LeafKind = SHAPE;
    for (const segment of path.split(".")) shape = (shape as Shape)[segment] as Shape | LeafKind;
    return shape as LeafKind;
  };
  for (const [path, value] of leaves) checkLeaf(kindOf(path), value, path.split("."), problems);

  const pairs = await Promise.all(
    CA_NAMES.map(async (name) => {
      const crtPath = ["certs", name, "crt"];
      const keyPath = ["certs", name, "key"];
      const crtText = leaves.get(crtPath.join("."));
      const keyText = leaves.get(keyPath.join("."));
      const crt = crtText === undefined ? undefined : checkCertificate(crtText, crtPath, problems);
      const key = keyText === undefined ? undefined : await checkKey(keyText, keyPath, problems);
      if (crt && key) matchPair(crt.certificate, key.loaded, name, problems);
      return crt && key ? ({ crt: crt.pem, key: key.pem } satisfies CertificateAndKey) : undefined;
    }),
  );
  const serviceAccountPath = ["certs", "k8sserviceaccount", "key"];
  const serviceAccountText = leaves.get(serviceAccountPath.join("."));
  const serviceAccount =
    serviceAccountText === undefined
      ? undefined
      : await checkKey(serviceAccountText, serviceAccountPath, problems);
  if (serviceAccount && serviceAccount.loaded.algorithm !== "ecdsa-p256") {
    problems.add(
      serviceAccountPath,
      `must be an ECDSA P-256 key (kube-apiserver cannot sign service-account tokens with ${serviceAccount.loaded.algorithm})`,
    );
  }

  if (problems.list.length > 0) fail(problems.list);
  const [etcd, k8s, k8saggregator, os] = pairs as CertificateAndKey[];
  const get = (path: string) => leaves.get(path) as string;
  return {
    cluster: { id: get("cluster.id"), secret: get("cluster.secret") },
    secrets: {
      bootstraptoken: get("secrets.bootstraptoken"),
      secretboxencryptionsecret: get("secrets.secretboxencryptionsecret"),
    },
    trustdinfo: { token: get("trustdinfo.token") },
    certs: {
      etcd: etcd as CertificateAndKey,
      k8s: k8s as CertificateAndKey,
      k8saggregator: k8saggregator as CertificateAndKey,
      k8sserviceaccount: { key: (serviceAccount as CheckedKey).pem },
      os: os as CertificateAndKey,
    },
  };
}

function matchPair(certificate: CaCertificate, key: LoadedPrivateKey, name: string, problems: Problems) {
  try {
    assertKeyMatchesCertificate(certificate, key, `certs.${name}`);
  } catch {
    problems.add(
      ["certs", name, "key"],
      `does not match certs.${name}.crt (the key is not the certificate's private key)`,
    );
  }
}
