// Test helpers shared by every package (a devDependency only: nothing in a product imports it).
export { ephemeralPorts, FreePortError, freePort } from "./free-port.ts";
export { type LineReader, readLines } from "./lines.ts";
export { runningAsRoot } from "./privileges.ts";
export {
  isAlive,
  killProcesses,
  type ProcessFacts,
  processesInCgroup,
  processesMentioning,
  processesWhere,
} from "./processes.ts";
export { eventually, WaitError, type WaitOptions, waitFor } from "./wait-for.ts";
