// Where the monorepo is: end-to-end tests run the real programs from their sources.
import { resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "../../..");
export const OSCTL_MAIN = resolve(REPO_ROOT, "apps/osctl/src/main.ts");
export const MACHINED_MAIN = resolve(REPO_ROOT, "apps/machined/src/main.ts");
