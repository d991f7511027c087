// The upgrade test's and bench's fixture: builds of four releases (the one installed, a newer one, and
// two broken STAND-INS whose init exits at start or hangs), served over HTTP to the guests (slirp's
// 10.0.2.2 is the host's loopback), and a one-node cluster booted from its own disk (GRUB, A/B slots).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processesMentioning } from "./qemu-processes.ts";
import { REPO_ROOT } from "./repo-root.ts";
import { type CliResult, runOsctl } from "./run-osctl.ts";

/** The releases the fixture builds (os-release versions), by name. */
export const RELEASES = {
  installed: { version: "0.1.0-e2e", entry: undefined, disk: true },
  newer: { version: "0.2.0-e2e", entry: undefined, disk: false },
  exits: {
    version: "0.3.0-exits-stand-in",
    entry: "tests/e2e/fixtures/exit-at-start-stand-in.ts",
    disk: false,
  },
  hangs: { version: "0.3.0-hangs-stand-in", entry: "tests/e2e/fixtures/hang-stand-in.ts", disk: false },
} as const;
export type ReleaseName = keyof typeof RELEASES;

export class UpgradeCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "bronze-e2e-upgrade-"));
  readonly home = join(this.dir, "home");
  readonly osconfig = join(this.dir, "osconfig");
  readonly osctlBinary = join(this.dir, "osctl");
  readonly name: string;
  #server: ReturnType<typeof Bun.serve> | undefined;
  readonly requests: string[] = [];

  constructor(name: string) {
    this.name = name;
    mkdirSync(this.home);
  }

  /** The node's directory in the cluster (its disk, extra disks, serial log). */
  get nodeDir(): string {
    return join(this.home, `.osctl/clusters/${this.name}/${this.name}-controlplane-1`);
  }

  /** The node's serial log. */
  get serialLog(): string {
    return join(this.nodeDir, "serial.log");
  }

  /** The node's config as the cluster generated it. */
  config(): string {
    const dir = join(this.home, `.osctl/clusters/${this.name}/configs`);
    const file = readdirSync(dir).find((f) => f.endsWith(".yaml"));
    if (file === undefined) throw new Error(`no config in ${dir}`);
    return readFileSync(join(dir, file), "utf8");
  }

  out(release: ReleaseName): string {
    return join(this.dir, "builds", release);
  }

  #buildArgv(name: ReleaseName): string[] {
    const r = RELEASES[name];
    return [
      ...["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", this.out(name)],
      ...["--version", r.version],
      ...(r.disk ? [] : ["--no-disk"]),
      ...(r.entry === undefined ? [] : ["--node-entry", r.entry]),
    ];
  }

  /** Builds the releases (warm caches: ~1 min each) and osctl, and serves the builds. */
  build(releases: readonly ReleaseName[], log: (line: string) => void = () => {}): void {
    for (const name of releases) {
      const started = Date.now();
      run(this.#buildArgv(name), REPO_ROOT);
      log(`built ${name} (${RELEASES[name].version}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    run(["bun", "apps/osctl/scripts/build.ts", this.osctlBinary], REPO_ROOT);
    this.#serve();
  }

  /**
   * Builds more releases one after the other without blocking (the node boots meanwhile); each promise
   * resolves when its release is built.
   */
  buildInBackground(
    releases: readonly ReleaseName[],
    log: (line: string) => void = () => {},
  ): Map<ReleaseName, Promise<void>> {
    const done = new Map<ReleaseName, Promise<void>>();
    let previous: Promise<void> = Promise.resolve();
    for (const name of releases) {
      previous = previous.then(async () => {
        const started = Date.now();
        const proc = Bun.spawn(this.#buildArgv(name), { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
        const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
        if (code !== 0) throw new Error(`building ${name} failed (${code}): ${stderr.slice(-2000)}`);
        log(`built ${name} (${RELEASES[name].version}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      });
      previous.catch(() => {}); // each caller awaits its own
      done.set(name, previous);
    }
    return done;
  }

  #serve(): void {
    if (this.#server !== undefined) return;
    const builds = join(this.dir, "builds");
    this.#server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      // a busy TCG guest reads slowly: Bun's default closes a connection idle for 10 s
      idleTimeout: 120,
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        this.requests.push(path);
        const [, release = "", file = ""] = path.split("/");
        if (!(release in RELEASES) || !/^[\w.-]+$/.test(file))
          return new Response("not found", { status: 404 });
        return new Response(Bun.file(join(builds, release, file)));
      },
    });
  }

  /** The URL a guest upgrades from. */
  assetsUrl(release: ReleaseName | string): string {
    if (this.#server === undefined) throw new Error("build() first");
    return `http://10.0.2.2:${this.#server.port}/${release}`;
  }

  osctl(args: string[], timeoutMs = 120_000): Promise<CliResult> {
    return runOsctl(["--osconfig", this.osconfig, ...args], {
      cwd: this.dir,
      timeoutMs,
      binary: this.osctlBinary,
      env: { HOME: this.home },
    });
  }

  /** osctl against the node, with a long --timeout for waits. */
  node(args: string[], timeoutMs = 900_000): Promise<CliResult> {
    return this.osctl(["--context", this.name, "--timeout", "14m", ...args], timeoutMs);
  }

  async create(): Promise<CliResult> {
    return this.osctl(
      [
        ...["--timeout", "15m", "cluster", "create", "--name", this.name],
        ...["--controlplanes", "1", "--workers", "0", "--boot", "disk", "--assets", this.out("installed")],
        ...["--extra-disks", "1", "--extra-disk-size", "64"],
      ],
      1_000_000,
    );
  }

  /** `osctl version -o json` of the node: its tag, slot, the other slot's version and the last change. */
  async version(): Promise<{ tag: string; slot: string; other: string; last: string }> {
    const r = await this.node(["version", "-o", "json"], 120_000);
    if (r.code !== 0) throw new Error(`osctl version exited ${r.code}: ${r.stderr}${this.serialTail()}`);
    const v = JSON.parse(r.stdout).nodes[0];
    return {
      tag: v.version?.tag ?? "",
      slot: v.bootedSlot ?? "",
      other: v.otherSlotVersion ?? "",
      last: v.lastUpgrade ?? "",
    };
  }

  serialTail(lines = 40): string {
    let text = "";
    try {
      text = readFileSync(this.serialLog, "utf8");
    } catch {
      return "\n(no serial log)";
    }
    return `\n--- serial tail ---\n${text.replaceAll("\r", "").split("\n").slice(-lines).join("\n")}`;
  }

  async destroy(): Promise<void> {
    this.#server?.stop(true);
    await this.osctl(["cluster", "destroy", "--name", this.name]).catch(() => undefined);
    for (const pid of processesMentioning(this.dir)) process.kill(pid, "SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(argv: string[], cwd: string): void {
  const proc = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0)
    throw new Error(`${argv.join(" ")} failed (${proc.exitCode}): ${proc.stderr.toString().slice(-2000)}`);
}

/** Whether `needle` occurs in the file (read in 16 MiB pieces overlapping by the needle's length). */
export async function fileContains(path: string, needle: Uint8Array): Promise<boolean> {
  const file = Bun.file(path);
  const piece = 16 * 1024 * 1024;
  for (let at = 0; at < file.size; at += piece) {
    const bytes = Buffer.from(
      await file.slice(at, Math.min(file.size, at + piece + needle.length)).arrayBuffer(),
    );
    if (bytes.includes(needle)) return true;
  }
  return false;
}
