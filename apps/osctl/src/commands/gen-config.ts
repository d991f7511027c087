// `osctl gen config <cluster-name> <endpoint>`: the cluster's PKI and the node configs in one step.
import { join, resolve } from "node:path";
import { applyPatches, ConfigError, formatIssue, stringifyConfig } from "@bronze/config-schema";
import {
  encodePemBase64,
  generateSecretsBundle,
  issueClientCertificate,
  PkiError,
  parseSecretsBundle,
} from "@bronze/pki";
import { CliError, usageError } from "../cli-error.ts";
import { generateMachineConfigs } from "../config-generator/config-generator.ts";
import { DEFAULT_INSTALL_DISK, KUBERNETES_VERSION } from "../config-generator/defaults.ts";
import { writeFilesAtomically } from "../files/atomic-write.ts";
import { readInput, readTextFile } from "../files/read-input.ts";
import type { Io } from "../io.ts";
import { stringifyOsconfig } from "../osconfig/osconfig.ts";

export interface GenConfigOptions {
  output: string;
  configPatch: string[];
  configPatchControlPlane: string[];
  configPatchWorker: string[];
  installDisk: string;
  additionalSans: string[];
  withSecrets?: string;
  kubernetesVersion: string;
  force: boolean;
}

export const genConfigDefaults = { installDisk: DEFAULT_INSTALL_DISK, kubernetesVersion: KUBERNETES_VERSION };

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw usageError(`<endpoint>: "${endpoint}" is not a URL (expected e.g. https://10.0.0.10:6443)`);
  }
  if (url.protocol !== "https:") throw usageError(`<endpoint>: "${endpoint}" must use https://`);
  if (!url.port) url.port = "6443";
  return url.toString().replace(/\/$/, "");
}

async function loadSecrets(path: string | undefined, io: Io) {
  if (!path) return generateSecretsBundle({ now: io.now() });
  const input = readTextFile(path, io, "--with-secrets");
  try {
    return await parseSecretsBundle(input.text);
  } catch (error) {
    if (error instanceof PkiError)
      throw new CliError("invalid-input", `--with-secrets ${path}: ${error.message}`);
    throw error;
  }
}

/**
 * Applies the user's patches; applyPatches validates the result (metal mode) and reports every
 * issue. Without patches the generated config is used as is: the generator's output is typed
 * against the schema and its validity is asserted by the tests, so validating it again at run
 * time would only slow `gen config` down.
 */
function applyUserPatches(name: string, base: string, patches: { source: string; text: string }[]): string {
  if (patches.length === 0) return base;
  try {
    return applyPatches(
      base,
      patches.map((p) => p.text),
      { mode: "metal" },
    );
  } catch (error) {
    if (error instanceof ConfigError) {
      const sources = patches.map((p) => p.source).join(", ");
      const issues = error.issues.map((i) => `  ${formatIssue(i, name)}`).join("\n");
      throw new CliError(
        "invalid-input",
        `patching ${name} with ${sources} failed: ${error.message}\n${issues}`,
      );
    }
    throw error;
  }
}

export async function genConfig(
  clusterName: string,
  endpoint: string,
  options: GenConfigOptions,
  io: Io,
): Promise<void> {
  if (!CLUSTER_NAME.test(clusterName)) {
    throw usageError(
      `<cluster-name>: "${clusterName}" must be a DNS label (lowercase letters, digits and '-')`,
    );
  }
  const apiEndpoint = checkEndpoint(endpoint);
  const readAll = (values: string[], flag: string) => Promise.all(values.map((v) => readInput(v, io, flag)));
  const [common, cpOnly, workerOnly] = await Promise.all([
    readAll(options.configPatch, "--config-patch"),
    readAll(options.configPatchControlPlane, "--config-patch-control-plane"),
    readAll(options.configPatchWorker, "--config-patch-worker"),
  ]);

  const secrets = await loadSecrets(options.withSecrets, io);
  const admin = await issueClientCertificate(secrets.certs.os, {
    role: "os:admin",
    commonName: "admin",
    now: io.now(),
  });
  const configs = generateMachineConfigs({
    clusterName,
    endpoint: apiEndpoint,
    secrets,
    installDisk: options.installDisk,
    additionalSans: options.additionalSans,
    kubernetesVersion: options.kubernetesVersion,
  });
  const controlplane = applyUserPatches("controlplane.yaml", stringifyConfig(configs.controlplane), [
    ...common,
    ...cpOnly,
  ]);
  const worker = applyUserPatches("worker.yaml", stringifyConfig(configs.worker), [...common, ...workerOnly]);
  const osconfig = stringifyOsconfig({
    context: clusterName,
    contexts: {
      [clusterName]: {
        endpoints: [new URL(apiEndpoint).hostname.replace(/^\[|\]$/g, "")],
        nodes: [],
        ca: encodePemBase64(secrets.certs.os.crt),
        crt: encodePemBase64(admin.crt),
        key: encodePemBase64(admin.key),
      },
    },
  });

  const dir = resolve(io.cwd, options.output);
  const files = [
    { path: join(dir, "controlplane.yaml"), content: controlplane, mode: 0o600 },
    { path: join(dir, "worker.yaml"), content: worker, mode: 0o600 },
    { path: join(dir, "osconfig"), content: osconfig, mode: 0o600 },
  ];
  writeFilesAtomically(files, { force: options.force });
  for (const file of files) io.stdout(`created ${file.path}\n`);
}
