import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import { encodePemBase64, generateSecretsBundle, inspectCertificate } from "@bronze/pki";
import { waitFor } from "@bronze/testing";
import { InProcessRunner } from "../supervisor/runners/in-process-runner.ts";
import { FakeClock } from "../testing/fake-clock.ts";
import { type EtcdClientTls, etcdPkiService, provisionEtcdCertificates } from "./etcd-pki.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-etcd-pki-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const identity = { hostname: "cp-1", addresses: ["10.5.0.2"], certSANs: [] };

test("a config without the etcd CA, or without its key, names the field", async () => {
  const now = new Date();
  await expect(
    provisionEtcdCertificates({ cluster: {} } as unknown as MachineConfig, identity, now),
  ).rejects.toThrow("cluster.etcd.ca is missing");
  const bundle = await generateSecretsBundle();
  const keyless = { cluster: { etcd: { ca: { crt: encodePemBase64(bundle.certs.etcd.crt) } } } };
  await expect(provisionEtcdCertificates(keyless as unknown as MachineConfig, identity, now)).rejects.toThrow(
    "cluster.etcd.ca.key is missing",
  );
});

test("the service writes etcd's files for its uid and hands machined its client certificate", async () => {
  const bundle = await generateSecretsBundle();
  const config = {
    cluster: {
      etcd: {
        ca: { crt: encodePemBase64(bundle.certs.etcd.crt), key: encodePemBase64(bundle.certs.etcd.key) },
      },
    },
  } as unknown as MachineConfig;
  const issued: EtcdClientTls[] = [];
  const out = join(dir, "etcd");
  const service = etcdPkiService({
    dir: out,
    owner: { uid: 60, gid: 60 },
    config: () => config,
    identity: () => identity,
    clock: new FakeClock(),
    onIssued: (tls) => issued.push(tls),
  });
  expect(service.runner).toBeInstanceOf(InProcessRunner);
  const handle = await service.runner.start({ id: "etcd-pki", log: { line: () => {} } });
  // polled with a deadline: healthy once the files are written
  await waitFor(
    async () =>
      (await service.healthCheck?.check(new AbortController().signal, { attempt: 1 } as never).then(
        () => true,
        () => undefined,
      )) ?? undefined,
    { what: "etcd-pki healthy", timeoutMs: 30_000, intervalMs: 20 },
  );
  expect(issued).toHaveLength(1);
  expect(inspectCertificate(issued[0]?.cert ?? "").commonName).toBe("machined@cp-1");
  expect(statSync(join(out, "server.key")).uid).toBe(60);
  expect(statSync(join(out, "server.key")).mode & 0o777).toBe(0o600);
  expect(inspectCertificate(readFileSync(join(out, "peer.crt"), "utf8")).ipAddresses).toContain("10.5.0.2");
  await handle.stop(1000);
});
