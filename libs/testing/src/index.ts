// Test helpers shared by every package (a devDependency only: nothing in a product imports it).
export { compareTrees } from "./compare-trees.ts";
export { type ConnectionFloodOptions, callDuringConnectionFlood } from "./connection-flood.ts";
export { ephemeralPorts, FreePortError, freePort } from "./free-port.ts";
export { freezeProcess } from "./freeze-process.ts";
export { type HeldConnections, holdConnections } from "./held-connections.ts";
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
export {
  grpcFrame,
  type RawHttp2Answer,
  type RawHttp2CallOptions,
  rawHttp2Call,
} from "./raw-http2-call.ts";
export { mountTmpfs, type Tmpfs } from "./tmpfs.ts";
export { eventually, WaitError, type WaitOptions, waitFor, within } from "./wait-for.ts";
