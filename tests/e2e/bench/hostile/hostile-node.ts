// The node the hostile-input bench attacks: a control plane in container mode (DESIGN.md §7) —
// machined from the compiled node binary as an ordinary root process sandboxed under a temporary
// directory, a real containerd, apid and trustd as its containers — booted WITHOUT a config, so that
// it starts in maintenance mode (the maintenance apid's cases run then), and configured through the
// maintenance apid with gen config's controlplane.yaml, as a user would.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { join, resolve } from "node:path";
import {
  checkServerIdentity,
  HTTP2_CLIENT_SETTINGS,
  MachineService,
  ROLE_HEADER,
  tlsAnswers,
} from "@bronze/api";
import { nodeBinaryBuildArgs } from "@bronze/image/node-binary";
import { type CertificateAndKey, decodePemBase64, issueClientCertificate } from "@bronze/pki";
import { freePort, waitFor } from "@bronze/testing";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { Subprocess } from "bun";
import { parse, parseAllDocuments } from "yaml";
import { MACHINED_MAIN, REPO_ROOT } from "../../src/repo-root.ts";
import { runOsctl } from "../../src/run-osctl.ts";

export type MachineClient = Client<typeof MachineService>;
export type ClientRole = "admin" | "operator" | "reader";

export interface ServiceFacts {
  readonly state: string;
  readonly runs: number;
  readonly pid: number;
}

class HostileNodeError extends Error {
  override readonly name = "HostileNodeError";
  readonly code = "NodeFailed";
}

/** Builds the multi-call node binary as `bun run build:node` does, into `outfile`. */
export function buildNodeBinary(outfile: string): void {
  const build = Bun.spawnSync(nodeBinaryBuildArgs(MACHINED_MAIN, outfile), {
    cwd: REPO_ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0)
    throw new HostileNodeError(`building ${outfile} failed: ${build.stderr.toString()}`);
}

export class HostileNode {
  readonly root: string;
  readonly consolePath: string;
  /** The config the node is configured with (gen config's controlplane.yaml, as written). */
  readonly config: string;
  /** Another cluster's control-plane config: what an attacker who knows none of this node's secrets sends. */
  readonly otherConfig: string;
  /** The OS CA certificate (PEM): what apid's and trustd's certificates chain to. */
  readonly ca: string;
  /** The machine token trustd asks joining nodes for. */
  readonly token: string;
  readonly certs: Readonly<Record<ClientRole, CertificateAndKey>>;
  #proc: Subprocess;
  #exit: number | null = null;
  readonly #clients = new Map<string, { client: MachineClient; close: () => void }>();

  private constructor(
    readonly dir: string,
    readonly apidPort: number,
    readonly trustdPort: number,
    proc: Subprocess,
    facts: {
      config: string;
      otherConfig: string;
      ca: string;
      token: string;
      certs: Record<ClientRole, CertificateAndKey>;
    },
  ) {
    this.root = join(dir, "root");
    this.consolePath = join(dir, "console.log");
    this.#proc = proc;
    this.config = facts.config;
    this.otherConfig = facts.otherConfig;
    this.ca = facts.ca;
    this.token = facts.token;
    this.certs = facts.certs;
    void proc.exited.then((code) => {
      this.#exit = code;
    });
  }

  /** Generates the cluster's config and PKI and starts machined without a config (maintenance mode). */
  static async start(dir: string, nodeBinary: string): Promise<HostileNode> {
    const gen = await runOsctl([
      "gen",
      "config",
      "hostile",
      "https://127.0.0.1:6443",
      "-o",
      join(dir, "cfg"),
    ]);
    if (gen.code !== 0) throw new HostileNodeError(`osctl gen config failed: ${gen.stderr}`);
    const config = readFileSync(join(dir, "cfg/controlplane.yaml"), "utf8");
    const other = await runOsctl([
      "gen",
      "config",
      "other",
      "https://127.0.0.1:6443",
      "-o",
      join(dir, "other"),
    ]);
    if (other.code !== 0) throw new HostileNodeError(`osctl gen config failed: ${other.stderr}`);
    const [doc] = parseAllDocuments(config);
    const pem = (path: string[]) => decodePemBase64(String(doc?.getIn(path)));
    const ca = { crt: pem(["machine", "ca", "crt"]), key: pem(["machine", "ca", "key"]) };
    const osconfig = parse(readFileSync(join(dir, "cfg/osconfig"), "utf8")) as {
      context: string;
      contexts: Record<string, { crt: string; key: string }>;
    };
    const context = osconfig.contexts[osconfig.context];
    if (context === undefined) throw new HostileNodeError("osconfig: no current context");
    const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
    const certs = {
      admin: { crt: b64(context.crt), key: b64(context.key) },
      operator: await issueClientCertificate(ca, { role: "os:operator" }),
      reader: await issueClientCertificate(ca, { role: "os:reader" }),
    };
    const apidPort = await freePort();
    const trustdPort = await freePort();
    mkdirSync(join(dir, "root"));
    const argv = [
      nodeBinary,
      ...["--platform", "container", "--root", join(dir, "root")],
      ...["--apid-port", String(apidPort), "--trustd-port", String(trustdPort), "--node-binary", nodeBinary],
    ];
    const proc = Bun.spawn(argv, {
      cwd: dir,
      stdout: Bun.file(join(dir, "console.log")),
      stderr: Bun.file(join(dir, "machined.err")),
    });
    return new HostileNode(dir, apidPort, trustdPort, proc, {
      config,
      otherConfig: readFileSync(join(dir, "other/controlplane.yaml"), "utf8"),
      ca: ca.crt,
      token: String(doc?.getIn(["machine", "token"])),
      certs,
    });
  }

  get machinedPid(): number {
    return this.#proc.pid;
  }

  /** Why the node is gone, or undefined while machined runs. */
  gone(): string | undefined {
    return this.#exit === null ? undefined : `machined exited with ${this.#exit}:\n${this.consoleTail()}`;
  }

  consoleText(): string {
    try {
      return readFileSync(this.consolePath, "utf8");
    } catch {
      return "";
    }
  }

  consoleTail(lines = 30): string {
    return this.consoleText().split("\n").slice(-lines).join("\n");
  }

  get apidUrl(): string {
    return `https://127.0.0.1:${this.apidPort}`;
  }

  /** The containerd namespace of this sandbox's system containers (machined's sandboxNamespace). */
  get systemNamespace(): string {
    return `system-${createHash("sha256").update(resolve(this.root)).digest("hex").slice(0, 12)}`;
  }

  /** Waits for the maintenance apid and its fingerprint line. */
  async waitForMaintenance(): Promise<void> {
    await waitFor(
      async () =>
        /apid: maintenance mode, certificate fingerprint/.test(this.consoleText()) &&
        (await tlsAnswers("127.0.0.1", this.apidPort, 3000))
          ? true
          : undefined,
      { what: "the maintenance apid", timeoutMs: 120_000, intervalMs: 250, abandon: () => this.gone() },
    );
  }

  /** A client of the maintenance apid: no client certificate, its throwaway certificate not checked. */
  maintenanceClient(): { client: MachineClient; close: () => void } {
    const sessions = new Http2SessionManager(this.apidUrl, undefined, {
      rejectUnauthorized: false,
      settings: HTTP2_CLIENT_SETTINGS,
    });
    return {
      client: createClient(
        MachineService,
        createGrpcTransport({ baseUrl: this.apidUrl, sessionManager: sessions }),
      ),
      close: () => sessions.abort(),
    };
  }

  /** A client of apid with a role's certificate, on its own HTTP/2 connection. */
  newClient(role: ClientRole): { client: MachineClient; close: () => void } {
    const cert = this.certs[role];
    const sessions = new Http2SessionManager(this.apidUrl, undefined, {
      ca: this.ca,
      cert: cert.crt,
      key: cert.key,
      checkServerIdentity,
      settings: HTTP2_CLIENT_SETTINGS,
    });
    return {
      client: createClient(
        MachineService,
        createGrpcTransport({ baseUrl: this.apidUrl, sessionManager: sessions }),
      ),
      close: () => sessions.abort(),
    };
  }

  /** A shared client of apid for a role (one connection per role). */
  client(role: ClientRole): MachineClient {
    let entry = this.#clients.get(role);
    if (entry === undefined) {
      entry = this.newClient(role);
      this.#clients.set(role, entry);
    }
    return entry.client;
  }

  /**
   * machined's own socket, as apid reaches it, with the admin role: what the bench uses to watch the
   * node (services, PID 1's responsiveness) without going through apid, and to restore the config if
   * apid could not be reached.
   */
  socketClient(): MachineClient {
    let entry = this.#clients.get("socket");
    if (entry === undefined) {
      const socketPath = join(this.root, "system/run/machined/machine.sock");
      const sessions = new Http2SessionManager("http://localhost", undefined, {
        createConnection: () => netConnect(socketPath),
      });
      const client = createClient(
        MachineService,
        createGrpcTransport({
          baseUrl: "http://localhost",
          sessionManager: sessions,
          interceptors: [
            (next) => (req) => {
              req.header.set(ROLE_HEADER, "os:admin");
              return next(req);
            },
          ],
        }),
      );
      entry = { client, close: () => sessions.abort() };
      this.#clients.set("socket", entry);
    }
    return entry.client;
  }

  /** Waits until the configured node serves an admin over mTLS and every system service is up. */
  async waitForConfigured(): Promise<void> {
    await waitFor(
      async () => {
        const probe = this.newClient("admin");
        try {
          await probe.client.version({}, { timeoutMs: 5000 });
        } finally {
          probe.close();
        }
        const services = await this.services();
        const down = ["machined", "containerd", "apid", "pki", "trustd"].filter(
          (id) => services.get(id)?.state !== "Running",
        );
        if (down.length > 0) throw new Error(`not running yet: ${down.join(", ")}`);
        return (await tlsAnswers("127.0.0.1", this.trustdPort, 3000)) ? true : undefined;
      },
      {
        what: "the configured node (apid over mTLS, every service running)",
        timeoutMs: 120_000,
        intervalMs: 500,
        abandon: () => this.gone(),
      },
    );
  }

  /** Every service's state, runs and pid, from machined's socket. */
  async services(): Promise<Map<string, ServiceFacts>> {
    const res = await this.socketClient().serviceList({}, { timeoutMs: 10_000 });
    return new Map(res.services.map((s) => [s.id, { state: s.state, runs: s.runs, pid: s.pid }]));
  }

  /** Stops machined as SIGTERM does in container mode (its services first), SIGKILL after 60 s. */
  async shutdown(): Promise<void> {
    for (const { close } of this.#clients.values()) close();
    this.#clients.clear();
    if (this.#exit !== null) return;
    this.#proc.kill("SIGTERM");
    const ended = await Promise.race([
      this.#proc.exited.then(() => true),
      Bun.sleep(60_000).then(() => false),
    ]);
    if (!ended) {
      this.#proc.kill("SIGKILL");
      await this.#proc.exited;
    }
  }

  /** Last resort at exit: no machined of this bench is left running. */
  killNow(): void {
    if (this.#exit === null) this.#proc.kill("SIGKILL");
  }
}
