/** Test fixture: runs rtnetlink operations given as JSON in argv[2] and prints one JSON line of results. */
import { RtNetlink } from "./rtnetlink.ts";

type Op = { op: string; args?: unknown[] };
const ops = JSON.parse(process.argv[2] ?? "[]") as Op[];
const rtnl = new RtNetlink();
const results: unknown[] = [];
for (const { op, args = [] } of ops) {
  try {
    const fn = (rtnl as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
    if (typeof fn !== "function") throw new Error(`no such operation ${op}`);
    results.push({ ok: true, value: fn.apply(rtnl, args) ?? null });
  } catch (err) {
    const e = err as Error & { code?: string };
    results.push({ ok: false, error: { name: e.name, code: e.code ?? null, message: e.message } });
  }
}
rtnl.close();
console.log(JSON.stringify(results));
