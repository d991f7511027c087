import type { ServiceDefinition } from "../supervisor/service.ts";
import { TRUSTD_USER } from "./service-rootfs.ts";
import { type SystemContainerDeps, secretsDir, systemContainerRunner } from "./system-containers.ts";
import { tlsHealthCheck } from "./tls-health-check.ts";

export const TRUSTD_PORT = 50001;
const PKI_DIR = "/system/secrets/trustd";

export interface TrustdServiceOptions extends SystemContainerDeps {
  /** Default 50001. */
  readonly port?: number | undefined;
  /** The service that writes trustd's files. */
  readonly pkiService: string;
}

/**
 * trustd as a system container (control planes): `/usr/bin/trustd --listen 0.0.0.0:<port> --pki-dir …
 * --token-file …`, as uid 51, with its secrets (the OS CA key among them) mounted read-only.
 */
export function trustdService(options: TrustdServiceOptions): ServiceDefinition {
  const port = options.port ?? TRUSTD_PORT;
  return {
    id: "trustd",
    // After apid: the API does not need trustd (it serves workers joining), and on one vCPU its start
    // beside apid's delayed the API by seconds
    dependsOn: ["containerd", options.pkiService, "apid"],
    restart: "forever",
    backoff: { initialMs: 1000, maxMs: 30_000, factor: 2, resetAfterMs: 60_000 },
    stopGraceMs: 10_000,
    healthCheck: tlsHealthCheck({ port }),
    runner: systemContainerRunner(options, {
      id: "trustd",
      user: TRUSTD_USER,
      args: ["--listen", `0.0.0.0:${port}`, "--pki-dir", PKI_DIR, "--token-file", `${PKI_DIR}/token`],
      mounts: [{ source: secretsDir(options.paths, "trustd"), destination: PKI_DIR, readOnly: true }],
    }),
  };
}
