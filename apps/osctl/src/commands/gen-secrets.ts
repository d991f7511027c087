// `osctl gen secrets`: the secrets bundle alone (CAs, keys, tokens), so that configs can be
// regenerated later with the same PKI through `gen config --with-secrets`.
import { resolve } from "node:path";
import { generateSecretsBundle, stringifySecretsBundle } from "@bronze/pki";
import { writeFilesAtomically } from "../files/atomic-write.ts";
import type { Io } from "../io.ts";

export async function genSecrets(options: { output: string; force: boolean }, io: Io): Promise<void> {
  const bundle = await generateSecretsBundle({ now: io.now() });
  const path = resolve(io.cwd, options.output);
  writeFilesAtomically([{ path, content: stringifySecretsBundle(bundle), mode: 0o600 }], {
    force: options.force,
  });
  io.stdout(`created ${path}\n`);
}
