import { existsSync } from "node:fs";
import { join } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import { decodePemBase64 } from "@bronze/pki";
import {
  issueControlPlaneCertificates,
  type NodeCertificates,
  renewalDelayMs,
  workerCertificates,
} from "../certificates/node-certificates.ts";
import { type Owner, writeSecretFiles } from "../certificates/secret-files.ts";
import {
  requestWorkerCertificate,
  TRUSTD_PORT,
  trustdEndpoint,
  type WorkerCertificateRequest,
} from "../certificates/trustd-client.ts";
import type { Clock } from "../clock.ts";
import { InProcessRunner } from "../supervisor/runners/in-process-runner.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";

export const PKI_SERVICE_ID = "pki";

export interface PkiServiceOptions {
  /** apid's --pki-dir and trustd's (`<system>/secrets/apid`, `<system>/secrets/trustd`). */
  readonly apidDir: string;
  readonly trustdDir: string;
  readonly owners: { readonly apid: Owner; readonly trustd: Owner };
  readonly config: () => MachineConfig | undefined;
  readonly hostname: () => string;
  /** The node's addresses for apid's SANs. */
  readonly addresses: () => string[];
  readonly clock: Clock;
  /** trustd's port on the control plane (default 50001). */
  readonly trustdPort?: number;
  /** The worker's request to trustd (injected by tests). */
  readonly request?: (request: WorkerCertificateRequest) => Promise<{ ca: string; crt: string; key: string }>;
  /** Backoff between failed attempts (default 1 s doubling to 30 s). */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

/** Thrown when the config cannot give the node its certificates (nothing to retry). */
export class NodePkiError extends Error {
  override readonly name = "NodePkiError";
  readonly code = "BadConfig";
}

/** The node's certificates and where they came from, for the log ("issued with the OS CA", "signed by trustd at ..."). */
export type ProvisionedCertificates = NodeCertificates & { readonly source: string };

/** Issues (control plane) or obtains from trustd (worker) the node's certificates, once. */
export async function provisionCertificates(options: PkiServiceOptions): Promise<ProvisionedCertificates> {
  const config = options.config();
  if (config === undefined)
    throw new NodePkiError("no machine config: the node has no certificates to issue");
  const ca = config.machine.ca;
  if (ca === undefined) throw new NodePkiError("machine.ca is missing: apid cannot serve without the OS CA");
  const crt = decodePemBase64(ca.crt);
  const token = config.machine.token ?? "";
  if (ca.key !== undefined && ca.key !== "") {
    const issued = await issueControlPlaneCertificates({
      ca: { crt, key: decodePemBase64(ca.key) },
      identity: {
        hostname: options.hostname(),
        addresses: options.addresses(),
        certSANs: config.machine.certSANs ?? [],
      },
      token,
      now: new Date(options.clock.now()),
    });
    return { ...issued, source: "issued with the OS CA" };
  }
  const endpoint = config.cluster?.controlPlane?.endpoint;
  if (endpoint === undefined)
    throw new NodePkiError(
      "cluster.controlPlane.endpoint is missing: a worker asks trustd there for its certificate",
    );
  if (token === "")
    throw new NodePkiError("machine.token is missing: trustd signs only for nodes presenting it");
  const trustd = trustdEndpoint(endpoint, options.trustdPort ?? TRUSTD_PORT);
  const signed = await (options.request ?? requestWorkerCertificate)({
    endpoint: trustd,
    ca: crt,
    token,
    hostname: options.hostname(),
  });
  const host = trustd.host.includes(":") ? `[${trustd.host}]` : trustd.host;
  return {
    ...workerCertificates({ ...signed, ca: crt }),
    source: `signed by trustd at ${host}:${trustd.port}`,
  };
}

/** Sleeps until `delayMs` of wall time have passed, in slices setTimeout can hold (it overflows past ~24.8 days). */
export async function sleepLong(clock: Clock, delayMs: number, signal: AbortSignal): Promise<boolean> {
  const until = clock.now() + delayMs;
  for (;;) {
    const left = until - clock.now();
    if (left <= 0) return true;
    if (!(await clock.sleep(Math.min(left, 86_400_000), signal))) return false;
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The node's certificates as a service ("pki"): issues them (control plane) or asks trustd (worker,
 * retried with backoff), writes apid's and trustd's secrets directories, and renews at 2/3 of the
 * lifetime. Up once the files are written; apid and trustd depend on it.
 */
export function pkiService(options: PkiServiceOptions): ServiceDefinition {
  let issued = false;
  const { clock } = options;
  const retry = options.retry ?? { initialMs: 1000, maxMs: 30_000 };
  return {
    id: PKI_SERVICE_ID,
    dependsOn: [],
    restart: "forever",
    backoff: { initialMs: 5000, maxMs: 60_000, factor: 2 },
    healthCheck: {
      initialDelayMs: 0,
      periodMs: 500,
      startPeriodMs: 50,
      timeoutMs: 1000,
      async check() {
        if (!issued || !existsSync(join(options.apidDir, "server.crt")))
          throw new Error("the node's certificates are not issued yet");
      },
    },
    runner: new InProcessRunner(
      async ({ signal, log, problem, recovered }) => {
        let delay = retry.initialMs;
        while (!signal.aborted) {
          let certificates: ProvisionedCertificates;
          try {
            certificates = await provisionCertificates(options);
          } catch (err) {
            if (err instanceof NodePkiError) throw err;
            const why = `cannot get the node's certificates: ${message(err)}`;
            log.line("system", `${why}; retrying in ${delay} ms`);
            // retried for ever: the service's status and machined's console say why
            problem(why);
            if (!(await clock.sleep(delay, signal))) return;
            delay = Math.min(delay * 2, retry.maxMs);
            continue;
          }
          delay = retry.initialMs;
          await writeSecretFiles(options.apidDir, certificates.apid, options.owners.apid);
          if (certificates.trustd !== undefined)
            await writeSecretFiles(options.trustdDir, certificates.trustd, options.owners.trustd);
          issued = true;
          const renewIn = renewalDelayMs(certificates, clock.now());
          const written = `certificates written, ${certificates.source} (valid until ${certificates.notAfter.toISOString()}); renewal in ${Math.round(renewIn / 3_600_000)} h`;
          log.line("system", written);
          recovered(written);
          if (!(await sleepLong(clock, renewIn, signal))) return;
        }
      },
      { clock },
    ),
  };
}
