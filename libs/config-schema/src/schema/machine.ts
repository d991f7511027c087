import * as z from "zod";
import {
  absolutePath,
  certAndKey,
  certSan,
  devicePath,
  duration,
  flagArgs,
  hostOrIp,
  imageRef,
  imageRefOrAssetsUrl,
  kernelArg,
  machineToken,
  permissions,
  subnetFilter,
} from "./fields.ts";
import { MachineNetworkSchema } from "./network.ts";

export const MACHINE_TYPES = ["controlplane", "worker"] as const;

export const InstallSchema = z.strictObject({
  disk: devicePath("Disk to install to, e.g. /dev/sda (required on metal).").optional(),
  image: imageRefOrAssetsUrl(
    "Where to install from: the http(s) URL of a directory of boot assets (vmlinuz, initramfs.zst, cmdline, manifest.json; what `osctl pxe serve` serves under /assets), or an installer image reference.",
  ).optional(),
  wipe: z.boolean().describe("Wipe the whole disk before installing (destroys its data).").optional(),
  extraKernelArgs: z.array(kernelArg()).describe("Extra kernel command line arguments.").optional(),
  bootloader: z
    .boolean()
    .meta({ description: "Deprecated (Talos): the bootloader is always installed.", deprecated: true })
    .optional(),
});

export const TimeSchema = z.strictObject({
  disabled: z.boolean().describe("Disable time synchronisation.").optional(),
  servers: z.array(hostOrIp("NTP server.")).optional(),
  bootTimeout: duration("How long boot waits for time to sync, e.g. 2m0s.").optional(),
});

export const MachineFileSchema = z.strictObject({
  content: z.string().describe("File content."),
  permissions: permissions(),
  path: absolutePath("Absolute path of the file."),
  op: z.enum(["create", "append", "overwrite"]).describe("create, append or overwrite."),
});

export const KernelModuleSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/, { error: "module names are letters, digits, '_' and '-'" })
    .describe("Kernel module name."),
  parameters: z
    .array(
      z
        .string()
        .regex(/^[a-zA-Z0-9_.-]+(?:=\S*)?$/, { error: "module parameters have the form name=value" })
        .describe("Module parameter, name=value."),
    )
    .optional(),
});

export const KubeletSchema = z.strictObject({
  image: imageRef("Kubelet image.").optional(),
  extraArgs: flagArgs("Extra kubelet flags (name without --: value).").optional(),
  nodeIP: z
    .strictObject({
      validSubnets: z
        .array(subnetFilter("Subnet in CIDR notation; prefix with ! to exclude."))
        .describe("Subnets from which the node IP is picked.")
        .optional(),
    })
    .optional(),
});

export const MachineSchema = z.strictObject({
  type: z.enum(MACHINE_TYPES).describe("Machine type: controlplane or worker."),
  token: machineToken().optional(),
  ca: certAndKey("OS (API) certificate authority; the key only on control planes.").optional(),
  certSANs: z.array(certSan("Extra subject alternative name for the API server certificate.")).optional(),
  install: InstallSchema.optional(),
  network: MachineNetworkSchema.optional(),
  time: TimeSchema.optional(),
  sysctls: z
    .record(
      z.string().regex(/^[a-zA-Z0-9_][a-zA-Z0-9_.\-/]*$/, {
        error: "sysctl names are dotted words, e.g. net.ipv4.ip_forward",
      }),
      z.string(),
    )
    .describe("Kernel parameters (values are strings).")
    .optional(),
  files: z.array(MachineFileSchema).optional(),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
        error: "environment variable names are [A-Za-z_][A-Za-z0-9_]*",
      }),
      z.string(),
    )
    .describe("Environment variables for system services.")
    .optional(),
  kernel: z.strictObject({ modules: z.array(KernelModuleSchema).optional() }).optional(),
  kubelet: KubeletSchema.optional(),
});
