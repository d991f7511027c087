import { readFileSync } from "node:fs";
import { BRONZE_VERSION } from "@bronze/api";

/**
 * The Bronze release this node runs: VERSION_ID of the root's os-release (the image build writes it:
 * `--version`), so that two builds of one binary tell apart; BRONZE_VERSION where there is no
 * os-release (container mode) or it says `dev` (an unversioned build).
 */
export function releaseVersion(
  path = "/etc/os-release",
  read = (p: string) => readFileSync(p, "utf8"),
): string {
  let text: string;
  try {
    text = read(path);
  } catch {
    return BRONZE_VERSION;
  }
  const match = /^VERSION_ID=("?)([^"\n]*)\1$/m.exec(text);
  const version = match?.[2]?.trim();
  return version === undefined || version === "" || version === "dev" ? BRONZE_VERSION : version;
}
