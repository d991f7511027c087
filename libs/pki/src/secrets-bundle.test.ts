import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { extensionText, openssl, opensslText, opensslVerify } from "../test/openssl.ts";
import { loadCertificateAuthority } from "./certificate-authority.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { loadPrivateKey } from "./key-pair.ts";
import { parseSecretsBundle } from "./parse-secrets-bundle.ts";
import { decodePemBase64 } from "./pem.ts";
import { BUNDLE_CA_NAMES, generateSecretsBundle, stringifySecretsBundle } from "./secrets-bundle.ts";
import { BOOTSTRAP_TOKEN_PATTERN } from "./tokens.ts";

const CA_FIELDS = ["etcd", "k8s", "k8saggregator", "os"] as const;

describe("generateSecretsBundle", () => {
  test("four self-signed 10-year CAs (openssl-verified), a P-256 service-account key, tokens and secrets", async () => {
    const now = new Date("2030-03-04T05:06:07Z");
    const bundle = await generateSecretsBundle({ now });
    for (const name of CA_FIELDS) {
      const pair = bundle.certs[name];
      const info = inspectCertificate(pair.crt);
      expect(info.commonName).toBe(BUNDLE_CA_NAMES[name]);
      expect(info.isCA).toBe(true);
      expect(info.publicKeyAlgorithm).toBe("ecdsa-p256");
      expect(info.notBefore.toISOString()).toBe("2030-03-04T05:05:07.000Z");
      expect(info.notAfter.getTime() - now.getTime()).toBe(3650 * 86_400_000);
      await loadCertificateAuthority(pair, `certs.${name}`); // key matches certificate
      expect((await opensslVerify(pair.crt, pair.crt, { atTime: now })).code).toBe(0);
      expect(extensionText(await opensslText(pair.crt), "X509v3 Basic Constraints")?.value).toBe("CA:TRUE");
    }
    const serviceAccount = await openssl(["pkey", "-in", "k.pem", "-noout", "-text"], {
      "k.pem": bundle.certs.k8sserviceaccount.key,
    });
    expect(serviceAccount.stdout).toContain("prime256v1");
    expect(bundle.secrets.bootstraptoken).toMatch(BOOTSTRAP_TOKEN_PATTERN);
    expect(bundle.trustdinfo.token).toMatch(BOOTSTRAP_TOKEN_PATTERN);
    expect(bundle.trustdinfo.token).not.toBe(bundle.secrets.bootstraptoken);
    for (const secret of [
      bundle.cluster.id,
      bundle.cluster.secret,
      bundle.secrets.secretboxencryptionsecret,
    ]) {
      expect(Buffer.from(secret, "base64").length).toBe(32);
    }
    const keys = [...CA_FIELDS.map((name) => bundle.certs[name].key), bundle.certs.k8sserviceaccount.key];
    expect(new Set(keys).size).toBe(5);
  });

  test("ed25519 CAs on request; the service-account key stays ECDSA P-256 (kube-apiserver needs it)", async () => {
    const bundle = await generateSecretsBundle({ algorithm: "ed25519" });
    for (const name of CA_FIELDS)
      expect(inspectCertificate(bundle.certs[name].crt).publicKeyAlgorithm).toBe("ed25519");
    expect((await loadPrivateKey(bundle.certs.k8sserviceaccount.key)).algorithm).toBe("ecdsa-p256");
    expect((await opensslVerify(bundle.certs.os.crt, bundle.certs.os.crt)).code).toBe(0);
  });
});

describe("stringifySecretsBundle", () => {
  test("Talos secrets.yaml layout, base64 PEM values, and a lossless round trip through parseSecretsBundle", async () => {
    const bundle = await generateSecretsBundle();
    const text = stringifySecretsBundle(bundle);
    const document = parse(text);
    expect(Object.keys(document)).toEqual(["cluster", "secrets", "trustdinfo", "certs"]);
    expect(Object.keys(document.certs)).toEqual(["etcd", "k8s", "k8saggregator", "k8sserviceaccount", "os"]);
    expect(Object.keys(document.secrets)).toEqual(["bootstraptoken", "secretboxencryptionsecret"]);
    expect(document.certs.k8sserviceaccount).toEqual({ key: expect.any(String) });
    expect(decodePemBase64(document.certs.os.crt)).toBe(bundle.certs.os.crt);
    expect(decodePemBase64(document.certs.os.key)).toBe(bundle.certs.os.key);
    expect(text).toMatch(/^ {4}crt: [A-Za-z0-9+/=]+$/m); // one line per value, never folded
    expect(text).not.toContain("-----BEGIN");

    expect(await parseSecretsBundle(text)).toEqual(bundle);
  });

  test("refuses a bundle with a missing field, naming it", async () => {
    const bundle = await generateSecretsBundle();
    const broken = { ...bundle, trustdinfo: {} } as never;
    expect(() => stringifySecretsBundle(broken)).toThrow(
      "secrets bundle: trustdinfo.token must be a non-empty string",
    );
  });
});
