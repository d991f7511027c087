import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import type { FetchFn } from "../config/config-acquisition.ts";
import { readTextCapped, redactUrl } from "../network/http-body.ts";
import type { KernelArgs, Platform } from "../node/kernel-args.ts";
import { recordMaintenance, type WritableNodeState } from "../node/node-state.ts";

/**
 * machined's installer (Talos's, adapted): a node booted from the network or a kernel, not from an
 * installed disk, whose config has `machine.install.disk` downloads the boot assets (from
 * `machine.install.image` when it is an http(s) URL, else from `bronze.assets=`), checks each file's
 * sha256 against that directory's manifest.json, writes Bronze to the disk (@bronze/image's
 * installToDisk), saves the config on the new STATE partition and reboots into the disk.
 */

/** manifest.json lists a handful of files: far less than this. */
const MAX_MANIFEST_BYTES = 64 * 1024;

/** The assets an install needs (@bronze/image's INSTALL_ARTIFACTS). */
export const INSTALL_ASSETS = ["vmlinuz", "initramfs.zst", "cmdline"] as const;

export type MachineInstallErrorCode =
  | "Download" // an asset or the manifest could not be fetched
  | "Manifest" // manifest.json is not JSON, or lacks an asset
  | "Checksum" // a downloaded asset's size or sha256 differs from the manifest's
  | "Insecure" // machine.install.image over plain http, not the server the node booted from
  | "Install" // the installer failed (disk holds partitions without wipe, missing disk, tool failure)
  | "SaveConfig"; // the config could not be written onto the new STATE partition

/** What went wrong installing from machined; the message names the URL, file or disk and what to do. */
export class MachineInstallError extends Error {
  override readonly name = "MachineInstallError";
  readonly code: MachineInstallErrorCode;

  constructor(code: MachineInstallErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** What an install does, decided from the config and the boot. */
export interface InstallPlan {
  readonly disk: string;
  /** The assets' directory URL, without a trailing slash. */
  readonly assetsUrl: string;
  readonly wipe: boolean;
  readonly extraKernelArgs: readonly string[];
  readonly platform: "metal" | "qemu";
}

const isHttpUrl = (text: string) => /^https?:\/\//i.test(text);

/**
 * Whether this boot installs, and how. Undefined when it does not: no `machine.install.disk`, container
 * mode, a node booted from an installed disk (STATE found), or no assets URL: neither
 * `machine.install.image` (as an http(s) URL) nor `bronze.assets=` (`osctl gen config` writes a disk
 * and an image reference into every config: a kernel-booted node without either stays diskless, logged).
 */
export function installPlan(
  config: MachineConfig,
  boot: { readonly args: KernelArgs; readonly platform: Platform; readonly installed: boolean },
  log: (line: string) => void = () => {},
): InstallPlan | undefined {
  const install = config.machine.install;
  if (install?.disk === undefined || boot.platform === "container") return undefined;
  if (boot.installed) {
    log(
      `booted from an installed disk (STATE found): machine.install.disk ${install.disk} is not reinstalled`,
    );
    return undefined;
  }
  const image = install.image;
  const assetsUrl = image !== undefined && isHttpUrl(image) ? image : boot.args.bronze.assets;
  if (assetsUrl === undefined) {
    log(
      `machine.install.disk is ${install.disk}, but no assets URL (machine.install.image as http(s)://..., or bronze.assets=): not installing, the node runs from memory`,
    );
    return undefined;
  }
  if (image !== undefined && assetsUrl !== image)
    log(`machine.install.image ${image} is an image reference: installing from bronze.assets= ${assetsUrl}`);
  // bronze.assets= is the server the node booted its kernel from: installing the same assets from it
  // trusts nobody new. Any other server must be reached over https, or whoever answers for it (the
  // manifest's sha256 comes from the same place) would decide what the node installs.
  if (
    assetsUrl === image &&
    /^http:\/\//i.test(image) &&
    image.replace(/\/+$/, "") !== boot.args.bronze.assets?.replace(/\/+$/, "")
  ) {
    throw new MachineInstallError(
      "Insecure",
      `machine.install.image ${redactUrl(image)} is plain http: the installer would trust whatever answers there; use https, or install from the server the node booted from (bronze.assets=)`,
    );
  }
  return {
    disk: install.disk,
    assetsUrl: assetsUrl.replace(/\/+$/, ""),
    wipe: install.wipe ?? false,
    extraKernelArgs: install.extraKernelArgs ?? [],
    platform: boot.platform,
  };
}

/** What installToDisk is asked (the world builds the real one from @bronze/image, loaded lazily). */
export interface DiskInstallRequest {
  readonly device: string;
  readonly artifactsDir: string;
  readonly platform: "metal" | "qemu";
  readonly wipe: boolean;
  readonly extraKernelArgs: readonly string[];
  /** Where the installer's temporary files go (the node's root is read-only). */
  readonly workDir: string;
  readonly log: (line: string) => void;
}

/** The world an install touches (docs/design.md §6: injected). */
export interface InstallWorld {
  readonly fetch: FetchFn;
  /** Writes Bronze to the disk; returns the new STATE partition's device node. */
  readonly installToDisk: (request: DiskInstallRequest) => Promise<{ readonly statePartition: string }>;
  /**
   * Refuses the disk before anything is downloaded: missing, mounted, or holding partitions without
   * wipe (the installer checks again, signatures included).
   */
  readonly checkDisk?: (disk: string, wipe: boolean) => Promise<void> | void;
  /** Writes the machine config onto the STATE partition (mounts it, saves, unmounts). */
  readonly saveConfig: (statePartition: string, text: string) => Promise<void> | void;
  /** Reboots into the installed disk. */
  readonly reboot: () => Promise<void> | void;
  /** A directory for the downloads and the installer's work (a tmpfs on a diskless node). */
  readonly workDir: string;
  readonly log: (line: string) => void;
  /** One download's time limit (default 10 minutes: an initramfs is ~100 MB). */
  readonly timeoutMs?: number;
  /** Attempts per file when a download breaks off (default 3), this long apart (default 2 s). */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
}

/** Runs a download again when it fails as a download (not a checksum or manifest error). */
async function withRetries<T>(
  world: Pick<InstallWorld, "log" | "attempts" | "retryDelayMs">,
  what: string,
  signal: AbortSignal,
  fn: () => Promise<T>,
): Promise<T> {
  const attempts = world.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (
        !(err instanceof MachineInstallError) ||
        err.code !== "Download" ||
        attempt >= attempts ||
        signal.aborted
      )
        throw err;
      const delay = world.retryDelayMs ?? 2000;
      world.log(
        `install: ${what}: ${err.message} (attempt ${attempt} of ${attempts}); retrying in ${delay} ms`,
      );
      await Bun.sleep(delay);
    }
  }
}

interface ManifestEntry {
  readonly size: number;
  readonly sha256: string;
}

/** The manifest's entries for the install assets; MachineInstallError(Manifest) names what is wrong. */
export function parseAssetManifest(text: string, url: string): Map<string, ManifestEntry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MachineInstallError("Manifest", `${url} is not JSON: ${(err as Error).message}`);
  }
  const files = (parsed as { files?: unknown })?.files;
  if (!Array.isArray(files)) throw new MachineInstallError("Manifest", `${url} has no "files" list`);
  const out = new Map<string, ManifestEntry>();
  for (const name of INSTALL_ASSETS) {
    const entry = files.find((f) => (f as { name?: unknown })?.name === name) as
      | { size?: unknown; sha256?: unknown }
      | undefined;
    if (entry === undefined) throw new MachineInstallError("Manifest", `${url} does not list ${name}`);
    if (
      typeof entry.sha256 !== "string" ||
      !/^[0-9a-f]{64}$/.test(entry.sha256) ||
      typeof entry.size !== "number"
    )
      throw new MachineInstallError("Manifest", `${url}: the entry of ${name} has no valid size and sha256`);
    out.set(name, { size: entry.size, sha256: entry.sha256 });
  }
  return out;
}

async function get(world: Pick<InstallWorld, "fetch">, url: string, signal: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await world.fetch(url, { signal });
  } catch (err) {
    throw new MachineInstallError(
      "Download",
      `cannot download ${redactUrl(url)}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new MachineInstallError("Download", `cannot download ${redactUrl(url)}: HTTP ${response.status}`);
  }
  return response;
}

/** Streams `url` into `path`, hashing as it goes; checks size and sha256 against the manifest. */
async function download(
  world: Pick<InstallWorld, "fetch">,
  url: string,
  path: string,
  expected: ManifestEntry,
  signal: AbortSignal,
): Promise<void> {
  const response = await get(world, url, signal);
  const hash = createHash("sha256");
  let size = 0;
  const fd = openSync(path, "w", 0o600);
  try {
    if (response.body !== null) {
      for await (const chunk of response.body) {
        size += chunk.length;
        // More than the manifest says: stop now (/var is RAM on a diskless node).
        if (size > expected.size) {
          await response.body.cancel().catch(() => {});
          throw new MachineInstallError(
            "Checksum",
            `${redactUrl(url)}: more than the ${expected.size} bytes manifest.json says: download stopped`,
          );
        }
        hash.update(chunk);
        writeSync(fd, chunk);
      }
    }
  } catch (err) {
    if (err instanceof MachineInstallError) throw err;
    throw new MachineInstallError(
      "Download",
      `downloading ${redactUrl(url)} failed after ${size} bytes: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    closeSync(fd);
  }
  const sha256 = hash.digest("hex");
  if (size !== expected.size || sha256 !== expected.sha256)
    throw new MachineInstallError(
      "Checksum",
      `${redactUrl(url)}: got ${size} bytes with sha256 ${sha256}, manifest.json says ${expected.size} bytes with sha256 ${expected.sha256}`,
    );
}

/** The release version manifest.json names ("unknown" when it names none). */
export function manifestVersion(text: string): string {
  try {
    const version = (JSON.parse(text) as { version?: unknown })?.version;
    return typeof version === "string" && /^[\w.+~-]{1,64}$/.test(version) ? version : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Downloads the install assets into `dir` and verifies them against `<assetsUrl>/manifest.json`;
 * returns the release version the manifest names.
 */
export async function downloadAssets(
  world: Pick<InstallWorld, "fetch" | "log" | "attempts" | "retryDelayMs">,
  assetsUrl: string,
  dir: string,
  signal: AbortSignal,
): Promise<{ version: string }> {
  const manifestUrl = `${assetsUrl}/manifest.json`;
  const manifestText = await withRetries(world, "manifest.json", signal, async () => {
    const response = await get(world, manifestUrl, signal);
    try {
      return await readTextCapped(response, MAX_MANIFEST_BYTES, redactUrl(manifestUrl));
    } catch (err) {
      throw new MachineInstallError("Manifest", (err as Error).message, { cause: err });
    }
  });
  const manifest = parseAssetManifest(manifestText, redactUrl(manifestUrl));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of INSTALL_ASSETS) {
    const entry = manifest.get(name) as ManifestEntry;
    const started = Date.now();
    world.log(
      `install: downloading ${redactUrl(`${assetsUrl}/${name}`)} (${(entry.size / 1e6).toFixed(1)} MB)`,
    );
    await withRetries(world, name, signal, () =>
      download(world, `${assetsUrl}/${name}`, join(dir, name), entry, signal),
    );
    world.log(
      `install: ${name}: sha256 ${entry.sha256.slice(0, 16)}... verified (${Date.now() - started} ms)`,
    );
  }
  return { version: manifestVersion(manifestText) };
}

/** An installer failure as the user should read it (the disk named, what to change in the config). */
function installFailure(err: unknown, plan: InstallPlan): MachineInstallError {
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  if (e?.name === "InstallerError" && e.code === "HasPartitions")
    return new MachineInstallError(
      "Install",
      `${plan.disk} is not empty (${String(e.message).replace(/^.*not empty \((.*)\).*$/s, "$1")}): set machine.install.wipe: true to erase it, or choose another machine.install.disk`,
      { cause: err },
    );
  const message = err instanceof Error ? err.message : String(err);
  return new MachineInstallError("Install", `installing to ${plan.disk} failed: ${message}`, { cause: err });
}

/**
 * Installs as planned: downloads and verifies the assets, writes the disk, saves `configText` on its
 * STATE partition, removes the downloads and reboots. Throws MachineInstallError; the downloads are
 * removed either way.
 */
export async function installMachine(
  plan: InstallPlan,
  configText: string,
  world: InstallWorld,
  signal: AbortSignal = new AbortController().signal,
): Promise<void> {
  const { log } = world;
  const started = Date.now();
  log(`install: installing Bronze to ${plan.disk} from ${plan.assetsUrl}${plan.wipe ? " (wipe)" : ""}`);
  const dir = join(world.workDir, "assets");
  const timeout = AbortSignal.timeout(world.timeoutMs ?? 600_000);
  try {
    try {
      await world.checkDisk?.(plan.disk, plan.wipe);
    } catch (err) {
      throw installFailure(err, plan);
    }
    await downloadAssets(world, plan.assetsUrl, dir, AbortSignal.any([signal, timeout]));
    let statePartition: string;
    try {
      ({ statePartition } = await world.installToDisk({
        device: plan.disk,
        artifactsDir: dir,
        platform: plan.platform,
        wipe: plan.wipe,
        extraKernelArgs: plan.extraKernelArgs,
        workDir: world.workDir,
        log: (line) => log(`install: ${line}`),
      }));
    } catch (err) {
      throw installFailure(err, plan);
    }
    try {
      await world.saveConfig(statePartition, configText);
    } catch (err) {
      throw new MachineInstallError(
        "SaveConfig",
        `cannot save the config on ${statePartition} (STATE of ${plan.disk}): ${(err as Error).message}`,
        { cause: err },
      );
    }
    log(`install: the config is saved on STATE (${statePartition})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(`install: done in ${((Date.now() - started) / 1000).toFixed(1)} s; rebooting into ${plan.disk}`);
  await world.reboot();
}

export interface InstallStepOptions {
  readonly state: WritableNodeState;
  readonly args: KernelArgs;
  readonly platform: Platform;
  /** The config's text as saved (written onto the new STATE partition). */
  readonly configText: string | undefined;
  /** installMachine with the node's world (its reboot: the boot's own, or the reboot sequence). */
  readonly install: (plan: InstallPlan, configText: string, signal: AbortSignal) => Promise<void>;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * The boot's install step (and an applied config's): installs when the config asks for it and the node
 * did not boot from an installed disk. A failure is logged and leaves the node in maintenance mode,
 * its reason the error, so that `osctl apply-config --insecure` with a fixed config retries; it never
 * throws, so machined goes on serving its API.
 */
export async function installStep(options: InstallStepOptions): Promise<"skipped" | "installed" | "failed"> {
  const { state, log } = options;
  if (state.mode !== "configured" || state.config === undefined) return "skipped";
  try {
    const plan = installPlan(
      state.config,
      { args: options.args, platform: options.platform, installed: state.installed === true },
      log,
    );
    if (plan === undefined) return "skipped";
    if (options.configText === undefined)
      throw new MachineInstallError(
        "SaveConfig",
        "the config in force is not in the store: nothing to write to STATE",
      );
    await options.install(plan, options.configText, options.signal ?? new AbortController().signal);
    return "installed";
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`install failed: ${message}`);
    log("maintenance mode: fix the config (machine.install) and apply it with osctl apply-config --insecure");
    recordMaintenance(state, `install failed: ${message}`);
    return "failed";
  }
}
