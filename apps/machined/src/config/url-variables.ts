import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The values `bronze.config=` URLs may use: `${mac}`, `${uuid}`, `${serial}`, `${hostname}`. */
export interface UrlVariableProviders {
  /** The MAC address of the first network interface with one (not loopback), e.g. 52:54:00:12:34:56. */
  mac(): string | undefined;
  /** SMBIOS product UUID (/sys/class/dmi/id/product_uuid), lower case. */
  uuid(): string | undefined;
  /** SMBIOS product serial (/sys/class/dmi/id/product_serial). */
  serial(): string | undefined;
  /** The hostname as set so far (e.g. from DHCP or bronze.hostname=). */
  hostname(): string | undefined;
}

export const URL_VARIABLES = ["mac", "uuid", "serial", "hostname"] as const;
export type UrlVariable = (typeof URL_VARIABLES)[number];

export type UrlSubstitutionErrorCode = "UnknownVariable" | "Unavailable";

export class UrlSubstitutionError extends Error {
  override readonly name = "UrlSubstitutionError";
  constructor(
    readonly code: UrlSubstitutionErrorCode,
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** Replaces every `${name}` in `template` (values URL-encoded); unknown or unavailable ones throw. */
export function substituteUrl(template: string, providers: UrlVariableProviders): string {
  return template.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    if (!(URL_VARIABLES as readonly string[]).includes(name)) {
      throw new UrlSubstitutionError(
        "UnknownVariable",
        name,
        `bronze.config: unknown variable \${${name}} (known: ${URL_VARIABLES.map((v) => `\${${v}}`).join(", ")})`,
      );
    }
    const value = providers[name as UrlVariable]()?.trim();
    if (value === undefined || value === "") {
      throw new UrlSubstitutionError(
        "Unavailable",
        name,
        `bronze.config: \${${name}} is not known on this machine, the URL cannot be built`,
      );
    }
    return encodeURIComponent(value);
  });
}

function readTrimmed(path: string): string | undefined {
  try {
    const text = readFileSync(path, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Providers reading sysfs under `sysRoot` (default /sys); `hostname` is injected. */
export function sysfsUrlVariables(
  hostname: () => string | undefined,
  sysRoot = "/sys",
): UrlVariableProviders {
  return {
    mac() {
      const netDir = join(sysRoot, "class/net");
      let names: string[];
      try {
        names = readdirSync(netDir).sort();
      } catch {
        return undefined;
      }
      for (const name of names) {
        if (name === "lo") continue;
        const mac = readTrimmed(join(netDir, name, "address"));
        if (mac !== undefined && mac !== "00:00:00:00:00:00") return mac;
      }
      return undefined;
    },
    uuid: () => readTrimmed(join(sysRoot, "class/dmi/id/product_uuid"))?.toLowerCase(),
    serial: () => readTrimmed(join(sysRoot, "class/dmi/id/product_serial")),
    hostname,
  };
}
