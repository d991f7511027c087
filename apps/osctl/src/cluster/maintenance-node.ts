// A local node booted without a config (`cluster create --no-config`, or a config that never came):
// the certificate fingerprint its apid shows on the serial console, and the exact `apply-config
// --insecure` command that brings it up, pinned to that fingerprint.

/**
 * machined echoes apid's maintenance line to the console (apps/machined/src/services/apid.ts);
 * apid makes a new certificate at each start, so the last line is the one in force.
 */
const FINGERPRINT = /maintenance mode, certificate fingerprint sha256:([0-9a-f]{64})/g;

/** The fingerprint apid serves in maintenance mode, from the serial log; undefined until shown. */
export function maintenanceFingerprint(serial: string): string | undefined {
  return [...serial.matchAll(FINGERPRINT)].at(-1)?.[1];
}

export interface ApplyCommandInput {
  /** The node's forwarded apid, e.g. 127.0.0.1:40123. */
  endpoint: string;
  /** The node's config file. */
  file: string;
  /** sha256 hex; undefined when not known yet (the command then says where to read it). */
  fingerprint: string | undefined;
  serialLog: string;
}

const shellWord = (word: string) =>
  /^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * The command that applies a node's config in maintenance mode. `--mode no-reboot`: a node booted
 * from the kernel keeps its config in memory only, so a reboot (auto mode's choice) would lose it and
 * come back in maintenance mode; without a reboot the boot simply goes on with the config.
 */
export function applyConfigCommand(input: ApplyCommandInput): string {
  const fingerprint =
    input.fingerprint !== undefined
      ? `sha256:${input.fingerprint}`
      : `"$(grep -o 'sha256:[0-9a-f]*' ${shellWord(input.serialLog)} | tail -1)"`;
  return [
    "osctl apply-config --insecure",
    `-e ${shellWord(input.endpoint)}`,
    `-f ${shellWord(input.file)}`,
    `--cert-fingerprint ${fingerprint}`,
    "--mode no-reboot",
  ].join(" ");
}
