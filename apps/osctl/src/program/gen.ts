// `osctl gen config|secrets|ca|key|csr|crt`: the cluster's configs, secrets and certificates.
import type { Command } from "commander";
import type { Io } from "../io.ts";
import { loadCommand } from "../load-command.ts";
import { collect, parseAlgorithm, parseHours, parseUsage } from "../options.ts";

export function addGenCommands(program: Command, io: Io): void {
  const gen = program.command("gen").description("generate configs, secrets and certificates");

  gen
    .command("config")
    .description(
      "generate the cluster PKI and the control-plane and worker configs, plus the client osconfig",
    )
    .argument("<cluster-name>", "name of the cluster (a DNS label)")
    .argument("<endpoint>", "Kubernetes API endpoint, e.g. https://10.0.0.10:6443")
    .option("-o, --output <dir>", "directory to write controlplane.yaml, worker.yaml and osconfig to", ".")
    .option(
      "--config-patch <patch>",
      "patch for both configs: @file, inline YAML/JSON (repeatable)",
      collect(false),
      [],
    )
    .option(
      "--config-patch-control-plane <patch>",
      "patch for controlplane.yaml only (repeatable)",
      collect(false),
      [],
    )
    .option("--config-patch-worker <patch>", "patch for worker.yaml only (repeatable)", collect(false), [])
    .option("--install-disk <disk>", "disk to install to", "/dev/sda")
    .option("--additional-sans <sans>", "extra certificate SANs (comma list, repeatable)", collect(true), [])
    .option(
      "--with-secrets <file>",
      "use this secrets bundle (from `osctl gen secrets`) instead of new secrets",
    )
    .option("--kubernetes-version <version>", "Kubernetes version of the component images", "v1.31.4")
    .option("--force", "overwrite existing files", false)
    .action(async (name: string, endpoint: string, options) => {
      const { genConfig } = await loadCommand("gen-config");
      await genConfig(name, endpoint, options, io);
    });

  gen
    .command("secrets")
    .description("generate a secrets bundle (CAs, keys, tokens) to generate configs from later")
    .option("-o, --output <file>", "file to write", "secrets.yaml")
    .option("--force", "overwrite an existing file", false)
    .action(async (options) => {
      const { genSecrets } = await loadCommand("gen-secrets");
      await genSecrets(options, io);
    });

  gen
    .command("ca")
    .description("generate a self-signed CA: <organization>.crt and <organization>.key")
    .requiredOption("--organization <org>", "the CA's organization (and common name)")
    .option("--hours <hours>", "validity in hours", parseHours, 87600)
    .option("--algorithm <alg>", "ecdsa-p256 or ed25519", parseAlgorithm, "ecdsa-p256")
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("--force", "overwrite existing files", false)
    .action(async (options) => {
      const { genCA } = await loadCommand("gen-pki");
      await genCA(options, io);
    });

  gen
    .command("key")
    .description("generate a private key: <name>.key")
    .requiredOption("--name <name>", "base name of the key file")
    .option("--algorithm <alg>", "ecdsa-p256 or ed25519", parseAlgorithm, "ecdsa-p256")
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("--force", "overwrite an existing file", false)
    .action(async (options) => {
      const { genKey } = await loadCommand("gen-pki");
      await genKey(options, io);
    });

  gen
    .command("csr")
    .description("generate a certificate signing request from a key: <key-name>.csr")
    .requiredOption("--key <file>", "private key (PEM)")
    .option("--ip <ip>", "IP address SAN (comma list, repeatable)", collect(true), [])
    .option("--dns <name>", "DNS name SAN (comma list, repeatable)", collect(true), [])
    .option(
      "--roles <roles>",
      "roles, written as the subject's organizations (e.g. os:admin)",
      collect(true),
      [],
    )
    .option("--common-name <cn>", "subject common name (default: the key's base name)")
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("--force", "overwrite an existing file", false)
    .action(async (options) => {
      const { genCSR } = await loadCommand("gen-pki");
      await genCSR(options, io);
    });

  gen
    .command("crt")
    .description("sign a CSR with a CA: <name>.crt")
    .requiredOption("--ca <base>", "CA files without extension (reads <base>.crt and <base>.key)")
    .requiredOption("--csr <file>", "certificate signing request (PEM)")
    .requiredOption("--name <name>", "base name of the certificate file")
    .option("--hours <hours>", "validity in hours", parseHours, 24)
    .option("--usage <usage>", "client, server or both", parseUsage, "client")
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("--force", "overwrite an existing file", false)
    .action(async (options) => {
      const { genCrt } = await loadCommand("gen-pki");
      await genCrt(options, io);
    });
}
