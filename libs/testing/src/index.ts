// Test helpers shared by every package (a devDependency only: nothing in a product imports it).
export { compareTrees } from "./compare-trees.ts";
export { FreePortError, freePort } from "./free-port.ts";
export { eventually, WaitError, type WaitOptions, waitFor } from "./wait-for.ts";
