import { beforeAll, describe, expect, test } from "bun:test";
import { parse, stringify } from "yaml";
import { openssl } from "../test/openssl.ts";
import { generateCA } from "./certificate-authority.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { generateKeyPair } from "./key-pair.ts";
import { parseSecretsBundle } from "./parse-secrets-bundle.ts";
import { encodePemBase64 } from "./pem.ts";
import { PkiError, type PkiProblem } from "./pki-error.ts";
import { generateSecretsBundle, type SecretsBundle, stringifySecretsBundle } from "./secrets-bundle.ts";

let bundle: SecretsBundle;
let text: string;

beforeAll(async () => {
  bundle = await generateSecretsBundle();
  text = stringifySecretsBundle(bundle);
});

/** The YAML with some fields changed (paths are dotted; undefined deletes). */
function edited(changes: Record<string, unknown>): string {
  const document = parse(text);
  for (const [path, value] of Object.entries(changes)) {
    const segments = path.split(".");
    const last = segments.pop() as string;
    let target = document;
    for (const segment of segments) target = target[segment];
    if (value === undefined) delete target[last];
    else target[last] = value;
  }
  return stringify(document, { lineWidth: 0 });
}

async function problemsOf(yamlText: string): Promise<{ error: PkiError; problems: readonly PkiProblem[] }> {
  try {
    await parseSecretsBundle(yamlText);
  } catch (error) {
    if (!(error instanceof PkiError)) throw error;
    expect(error.code).toBe("invalid-bundle");
    return { error, problems: error.problems };
  }
  throw new Error("expected invalid-bundle");
}

/** The 1-based line of `key:` under the YAML path, found by scanning the text. */
function lineOf(yamlText: string, key: string, after = 0): number {
  const lines = yamlText.split("\n");
  return lines.findIndex((line, i) => i >= after && line.trimStart().startsWith(`${key}:`)) + 1;
}

describe("parseSecretsBundle", () => {
  test("a corrupted key is reported as `certs.os.key: not a PEM private key`, with its line", async () => {
    const corrupted = edited({
      "certs.os.key": encodePemBase64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
    });
    const { error, problems } = await problemsOf(corrupted);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe("certs.os.key");
    expect(problems[0]?.message).toStartWith("not a PEM private key");
    expect(error.message).toContain("certs.os.key: not a PEM private key");
    const osLine = lineOf(corrupted, "os");
    expect(problems[0]?.line).toBe(lineOf(corrupted, "key", osLine));
  });

  test("every problem is reported at once, each naming its field", async () => {
    const leaf = await issueCertificate({ ca: bundle.certs.os, commonName: "x", usage: "client" });
    const edKey = (await generateKeyPair("ed25519")).privateKeyPem;
    const { problems, error } = await problemsOf(
      edited({
        "cluster.id": "short",
        "secrets.bootstraptoken": "NOT-A-TOKEN",
        "secrets.secretboxencryptionsecret": Buffer.alloc(16).toString("base64"),
        "trustdinfo.token": undefined,
        "certs.etcd.crt": "not base64 !",
        "certs.k8s.key": encodePemBase64(bundle.certs.k8saggregator.key),
        "certs.k8saggregator.crt": encodePemBase64(leaf.crt),
        "certs.k8sserviceaccount.key": encodePemBase64(edKey),
        "certs.os.crt": 42,
        "certs.extra": { crt: "x" },
      }),
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(byPath).toEqual({
      "cluster.id": "must be base64 of 32 random bytes",
      "secrets.bootstraptoken": "not a token of the form [a-z0-9]{6}.[a-z0-9]{16}",
      "secrets.secretboxencryptionsecret": "must be base64 of a 32-byte key",
      "trustdinfo.token": "missing",
      "certs.etcd.crt": expect.stringMatching(/^not a PEM certificate: not base64/),
      "certs.k8s.key": "does not match certs.k8s.crt (the key is not the certificate's private key)",
      "certs.k8saggregator.crt": expect.stringContaining("is not a CA"),
      "certs.k8sserviceaccount.key": expect.stringContaining("must be an ECDSA P-256 key"),
      "certs.os.crt": "must be a string",
      "certs.extra": "unknown field (expected etcd, k8s, k8saggregator, k8sserviceaccount, os)",
    });
    expect(problems.every((p) => typeof p.line === "number" && p.line > 0)).toBe(true);
    expect(error.message).toStartWith("invalid secrets bundle (10 problems):\n");
    expect(error.message).toContain("  trustdinfo.token: missing (line ");
  });

  test("missing sections, wrong types and YAML syntax errors", async () => {
    const missing = await problemsOf(edited({ certs: undefined, cluster: "x" }));
    expect(missing.problems.map((p) => `${p.path}: ${p.message}`).sort()).toEqual([
      "certs: missing",
      "cluster: must be a mapping",
    ]);
    const notMapping = await problemsOf("- a\n- b\n");
    expect(notMapping.problems).toEqual([{ path: "(document)", message: "must be a mapping", line: 1 }]);
    const syntax = await problemsOf("cluster:\n  id: [unclosed\nsecrets: {\n");
    expect(syntax.problems[0]?.path).toBe("(yaml)");
    expect(syntax.problems[0]?.line).toBeGreaterThan(0);
    const duplicate = await problemsOf(`${text}cluster: {}\n`);
    expect(duplicate.problems[0]?.message).toContain("unique");
  });

  test("accepts Talos-style keys (SEC1 'EC PRIVATE KEY', URL-safe cluster id) and normalises keys to PKCS#8", async () => {
    const sec1 = await openssl(["ec", "-in", "k.pem"], { "k.pem": bundle.certs.etcd.key });
    expect(sec1.stdout).toStartWith("-----BEGIN EC PRIVATE KEY-----");
    const urlSafeId = Buffer.alloc(32, 0xfb).toString("base64url");
    const parsed = await parseSecretsBundle(
      edited({ "certs.etcd.key": encodePemBase64(sec1.stdout), "cluster.id": `${urlSafeId}=` }),
    );
    expect(parsed.certs.etcd.key).toStartWith("-----BEGIN PRIVATE KEY-----");
    const original = await openssl(["pkey", "-in", "k.pem", "-pubout"], { "k.pem": bundle.certs.etcd.key });
    const normalised = await openssl(["pkey", "-in", "k.pem", "-pubout"], { "k.pem": parsed.certs.etcd.key });
    expect(normalised.stdout).toBe(original.stdout);
    expect(parsed.cluster.id).toBe(`${urlSafeId}=`);
  });

  test("accepts CAs it did not make (an Ed25519 CA) when key and certificate match", async () => {
    const ca = await generateCA({ commonName: "imported", algorithm: "ed25519" });
    const parsed = await parseSecretsBundle(
      edited({ "certs.os.crt": encodePemBase64(ca.crt), "certs.os.key": encodePemBase64(ca.key) }),
    );
    expect(parsed.certs.os).toEqual(ca);
  });
});
