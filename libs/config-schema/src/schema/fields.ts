import * as z from "zod";
import { validateBase64 } from "../validators/base64.ts";
import { validateCidrAddress, validateCidrNetwork, validateSubnetFilter } from "../validators/cidr.ts";
import { validateDuration } from "../validators/duration.ts";
import { validateDnsName, validateHostname } from "../validators/hostname.ts";
import { validateImageRef } from "../validators/image-ref.ts";
import { parseIp, validateIp } from "../validators/ip.ts";
import { validateCertificate, validatePrivateKey } from "../validators/pem.ts";
import { validateBootstrapToken, validateMachineToken } from "../validators/token.ts";
import { validateUrl } from "../validators/url.ts";

/** A string checked by `validate` (which returns an error message); failures are issues with `code`. */
export function checkedString(
  validate: (value: string) => string | undefined,
  code: string,
  description: string,
) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const error = validate(value);
      if (error !== undefined) ctx.addIssue({ code: "custom", message: error, params: { code } });
    })
    .describe(description);
}

export const ipAddress = (description: string) => checkedString(validateIp, "invalid_ip", description);
export const cidrAddress = (description: string) =>
  checkedString(validateCidrAddress, "invalid_cidr", description);
export const cidrNetwork = (description: string) =>
  checkedString(validateCidrNetwork, "invalid_cidr", description);
export const subnetFilter = (description: string) =>
  checkedString(validateSubnetFilter, "invalid_cidr", description);
/** A node's host name: what the kernel can take (see validateHostname). */
export const hostname = (description: string) =>
  checkedString(validateHostname, "invalid_hostname", description);
export const dnsName = (description: string) =>
  checkedString(validateDnsName, "invalid_hostname", description);
export const duration = (description: string) =>
  checkedString(validateDuration, "invalid_duration", description);
export const imageRef = (description: string) =>
  checkedString(validateImageRef, "invalid_image", description);

/** An image reference, or the http(s) URL of a directory of Bronze boot assets (machine.install.image). */
export const imageRefOrAssetsUrl = (description: string) =>
  checkedString(
    (value) =>
      /^https?:\/\//i.test(value) ? validateUrl(value, ["http", "https"]) : validateImageRef(value),
    "invalid_image",
    description,
  );

/** An IP address or a DNS name (wildcards allowed): certificate subject alternative names. */
export const certSan = (description: string) =>
  checkedString(
    (value) =>
      parseIp(value) || validateDnsName(value, { wildcard: true }) === undefined
        ? undefined
        : `"${value}" is neither an IP address nor a DNS name`,
    "invalid_san",
    description,
  );

/** An IP address or a DNS name (NTP servers). */
export const hostOrIp = (description: string) =>
  checkedString(
    (value) =>
      parseIp(value) || validateDnsName(value) === undefined
        ? undefined
        : `"${value}" is neither an IP address nor a host name`,
    "invalid_hostname",
    description,
  );

export const url = (schemes: readonly string[], description: string, options: { port?: boolean } = {}) =>
  checkedString((value) => validateUrl(value, schemes, options), "invalid_url", description);

export const base64 = (description: string, size: { minBytes?: number; bytes?: number } = {}) =>
  checkedString((value) => validateBase64(value, size), "invalid_base64", description);

export const certificate = () =>
  checkedString(validateCertificate, "invalid_pem", "Base64-encoded PEM CERTIFICATE.");

/** A base64-encoded PEM private key; "" means absent (Talos writes `key: ""` on workers). */
export const privateKey = () =>
  checkedString(
    (value) => (value === "" ? undefined : validatePrivateKey(value)),
    "invalid_pem",
    'Base64-encoded PEM private key (PRIVATE KEY, EC PRIVATE KEY or ED25519 PRIVATE KEY); "" or absent on workers.',
  );

export const bootstrapToken = () =>
  checkedString(
    validateBootstrapToken,
    "invalid_token",
    "Kubernetes bootstrap token used by workers to join, [a-z0-9]{6}.[a-z0-9]{16}.",
  );

export const machineToken = () =>
  checkedString(
    validateMachineToken,
    "invalid_token",
    "Token a node presents to trustd to obtain its certificates (6-256 printable characters).",
  );

export const absolutePath = (description: string) =>
  checkedString(
    (value) => {
      if (!value.startsWith("/")) return `"${value}" must be an absolute path`;
      if (value.split("/").includes("..")) return `"${value}" must not contain ".." components`;
      if (value.includes("\0")) return "must not contain NUL characters";
      return undefined;
    },
    "invalid_path",
    description,
  );

export const devicePath = (description: string) =>
  checkedString(
    (value) => (/^\/dev\/[^\s]+$/.test(value) ? undefined : `"${value}" must be a device path under /dev/`),
    "invalid_path",
    description,
  );

export const kernelArg = () =>
  checkedString(
    (value) =>
      value === "" || /\s/.test(value) ? `"${value}" must be one kernel argument without spaces` : undefined,
    "invalid_kernel_arg",
    "One kernel command line argument, e.g. console=ttyS0.",
  );

/** Unix file mode bits (0 to 0o7777); write them in octal (0o644). */
export const permissions = () =>
  z
    .number()
    .int()
    .superRefine((value, ctx) => {
      if (value < 0 || value > 0o7777) {
        ctx.addIssue({
          code: "custom",
          message: `must be file mode bits between 0 and 0o7777 (got ${value}); write them in octal, e.g. 0o644`,
          params: { code: "invalid_permissions" },
        });
      }
    })
    .describe("File mode bits; write them in octal, e.g. 0o644.");

export const flagArgs = (description: string) =>
  z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-]*$/, {
        error: "flag names are lowercase letters, digits and hyphens, without the leading --",
      }),
      z.string(),
    )
    .describe(description);

/** A certificate and its key. */
export const certAndKey = (description: string) =>
  z
    .strictObject({
      crt: certificate(),
      key: privateKey().optional(),
    })
    .describe(description);
