// etcd's certificates as a service ("etcd-pki", control planes): issued from cluster.etcd.ca, written
// to /system/secrets/etcd for the etcd container (owned by its uid), machined's own client certificate
// kept in memory for its calls to etcd; renewed at 2/3 of their lifetime like the node's (pki.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import { decodePemBase64 } from "@bronze/pki";
import { renewalDelayMs } from "../certificates/node-certificates.ts";
import type { NodeIdentity } from "../certificates/node-sans.ts";
import { type Owner, writeSecretFiles } from "../certificates/secret-files.ts";
import type { Clock } from "../clock.ts";
import { sleepLong } from "../services/pki.ts";
import { InProcessRunner } from "../supervisor/runners/in-process-runner.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import { type EtcdCertificates, issueEtcdCertificates } from "./etcd-certificates.ts";

export const ETCD_PKI_SERVICE_ID = "etcd-pki";

export interface EtcdClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface EtcdPkiOptions {
  /** Where the etcd container's files go (`<system>/secrets/etcd`). */
  readonly dir: string;
  readonly owner: Owner;
  readonly config: () => MachineConfig | undefined;
  readonly identity: () => NodeIdentity;
  readonly clock: Clock;
  /** machined's client certificate for etcd, each time it is (re)issued. */
  readonly onIssued: (tls: EtcdClientTls) => void;
}

export class EtcdPkiError extends Error {
  override readonly name = "EtcdPkiError";
  readonly code = "BadConfig";
}

/** Issues the certificates from the config's etcd CA (which must hold its key on a control plane). */
export async function provisionEtcdCertificates(
  config: MachineConfig | undefined,
  identity: NodeIdentity,
  now: Date,
): Promise<EtcdCertificates> {
  const ca = config?.cluster?.etcd?.ca;
  if (ca === undefined)
    throw new EtcdPkiError("cluster.etcd.ca is missing: a control plane issues etcd's certificates with it");
  if (ca.key === undefined || ca.key === "")
    throw new EtcdPkiError(
      "cluster.etcd.ca.key is missing: a control plane issues etcd's certificates with it",
    );
  return await issueEtcdCertificates({
    ca: { crt: decodePemBase64(ca.crt), key: decodePemBase64(ca.key) },
    identity,
    now,
  });
}

/** The "etcd-pki" service: up once etcd's files are written; the etcd service depends on it. */
export function etcdPkiService(options: EtcdPkiOptions): ServiceDefinition {
  let issued = false;
  const { clock } = options;
  return {
    id: ETCD_PKI_SERVICE_ID,
    dependsOn: [],
    restart: "forever",
    backoff: { initialMs: 5000, maxMs: 60_000, factor: 2 },
    healthCheck: {
      initialDelayMs: 0,
      periodMs: 500,
      startPeriodMs: 50,
      timeoutMs: 1000,
      async check() {
        if (!issued || !existsSync(join(options.dir, "server.crt")))
          throw new Error("etcd's certificates are not issued yet");
      },
    },
    runner: new InProcessRunner(
      async ({ signal, log }) => {
        while (!signal.aborted) {
          const certificates = await provisionEtcdCertificates(
            options.config(),
            options.identity(),
            new Date(clock.now()),
          );
          await writeSecretFiles(options.dir, certificates.etcd, options.owner);
          options.onIssued({
            ca: certificates.client.ca,
            cert: certificates.client.crt,
            key: certificates.client.key,
          });
          issued = true;
          const renewIn = renewalDelayMs(certificates, clock.now());
          log.line(
            "system",
            `etcd certificates written (valid until ${certificates.notAfter.toISOString()}); renewal in ${Math.round(renewIn / 3_600_000)} h`,
          );
          if (!(await sleepLong(clock, renewIn, signal))) return;
        }
      },
      { clock },
    ),
  };
}
