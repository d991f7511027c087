import { dirname } from "node:path";
import { echoToConsole } from "../boot/console-echo.ts";
import type { Runner, ServiceDefinition } from "../supervisor/service.ts";
import { APID_USER } from "./service-rootfs.ts";
import { type SystemContainerDeps, secretsDir, systemContainerRunner } from "./system-containers.ts";
import { certificateFiles, tlsHealthCheck } from "./tls-health-check.ts";

export const APID_PORT = 50000;
const MACHINED_SOCKET_DIR = "/system/run/machined";
const PKI_DIR = "/system/secrets/apid";

export interface ApidServiceOptions extends SystemContainerDeps {
  /** Default 50000 (container mode picks others for tests). */
  readonly port?: number | undefined;
  /** Where other nodes' apids listen, when not on this node's port (container-mode clusters on one host). */
  readonly nodePort?: number | undefined;
  /**
   * No config yet: a self-signed certificate and a small API (docs/design.md §2). A function is asked at
   * each start (a node leaving maintenance mode restarts apid to serve with its certificates).
   */
  readonly maintenance: boolean | (() => boolean);
  /** The service that writes apid's certificates (not in maintenance mode). */
  readonly pkiService?: string;
  /** machined's console: apid's maintenance certificate fingerprint is shown there too. */
  readonly console?: (line: string) => void;
}

/** apid's line with the fingerprint of its maintenance certificate (apps/apid/src/apid-server.ts). */
export const MAINTENANCE_FINGERPRINT_LINE = /maintenance mode, certificate fingerprint sha256:[0-9a-f]{64}/;

/**
 * apid as a system container: `/usr/bin/apid --listen 0.0.0.0:<port> --machined-socket … --pki-dir …`
 * (or `--maintenance`), as uid 50, with machined's socket directory and its secrets mounted. Depends
 * on containerd, on machined's API and on its certificates.
 */
export function apidService(options: ApidServiceOptions): ServiceDefinition {
  const port = options.port ?? APID_PORT;
  const socket = options.paths.machinedSocket;
  const maintenance = () =>
    typeof options.maintenance === "function" ? options.maintenance() : options.maintenance;
  const startsInMaintenance = maintenance();
  const withConsole = (runner: Runner) =>
    options.console === undefined
      ? runner
      : echoToConsole(runner, MAINTENANCE_FINGERPRINT_LINE, options.console);
  return {
    id: "apid",
    dependsOn: [
      "containerd",
      "machined",
      ...(startsInMaintenance || options.pkiService === undefined ? [] : [options.pkiService]),
    ],
    restart: "forever",
    backoff: { initialMs: 1000, maxMs: 30_000, factor: 2, resetAfterMs: 60_000 },
    stopGraceMs: 10_000,
    // a real request when this node has a client certificate apid takes (a control plane's
    // impersonator pair), else apid's TLS answer asking for one
    healthCheck: tlsHealthCheck({
      port,
      clientCertificate: () =>
        maintenance() ? undefined : certificateFiles(secretsDir(options.paths, "apid"), "impersonator"),
    }),
    runner: withConsole(
      systemContainerRunner(options, () => ({
        id: "apid",
        user: APID_USER,
        args: [
          "--listen",
          `0.0.0.0:${port}`,
          "--machined-socket",
          `${MACHINED_SOCKET_DIR}/machine.sock`,
          ...(maintenance() ? ["--maintenance"] : ["--pki-dir", PKI_DIR]),
          ...(options.nodePort !== undefined ? ["--node-port", String(options.nodePort)] : []),
        ],
        mounts: [
          { source: dirname(socket), destination: MACHINED_SOCKET_DIR, readOnly: true },
          ...(maintenance()
            ? []
            : [{ source: secretsDir(options.paths, "apid"), destination: PKI_DIR, readOnly: true }]),
        ],
      })),
    ),
  };
}
