import { InstallerError } from "./installer-error.ts";

export const INSTALL_PLATFORMS = ["metal", "qemu"] as const;
export type InstallPlatform = (typeof INSTALL_PLATFORMS)[number];

export interface KernelCommandLineOptions {
  /** The image's default command line (`_out/cmdline`). */
  readonly base: string;
  readonly platform: InstallPlatform;
  /** `bronze.config=`; `${mac}`-style variables are kept for machined to substitute. */
  readonly configUrl?: string;
  /** Appended last (e.g. a final `console=ttyS0`). */
  readonly extra?: readonly string[];
}

function checkConfigUrl(url: string): void {
  const probe = url.replace(/\$\{[a-z]+\}/g, "x");
  let parsed: URL;
  try {
    parsed = new URL(probe);
  } catch {
    throw new InstallerError("BadInput", `config URL ${JSON.stringify(url)} is not an absolute URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new InstallerError(
      "BadInput",
      `config URL ${JSON.stringify(url)} must be http:// or https:// (got ${parsed.protocol})`,
    );
  if (/\s|"/.test(url))
    throw new InstallerError(
      "BadInput",
      `config URL ${JSON.stringify(url)} must not contain spaces or quotes`,
    );
}

/**
 * The installed node's kernel arguments: the image's defaults with `bronze.platform=` set to the
 * platform and any `bronze.config=` replaced by the given URL, then `extra`.
 */
export function kernelCommandLine(options: KernelCommandLineOptions): string[] {
  if (!(INSTALL_PLATFORMS as readonly string[]).includes(options.platform))
    throw new InstallerError(
      "BadInput",
      `platform ${JSON.stringify(options.platform)} is not one of ${INSTALL_PLATFORMS.join(", ")}`,
    );
  const words = options.base
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "" && !w.startsWith("bronze.platform=") && !w.startsWith("bronze.config="));
  words.push(`bronze.platform=${options.platform}`);
  if (options.configUrl !== undefined) {
    checkConfigUrl(options.configUrl);
    words.push(`bronze.config=${options.configUrl}`);
  }
  for (const arg of options.extra ?? []) {
    if (arg === "" || /\s|"|'/.test(arg))
      throw new InstallerError(
        "BadInput",
        `kernel argument ${JSON.stringify(arg)} must be one word without quotes`,
      );
    words.push(arg);
  }
  return words;
}
