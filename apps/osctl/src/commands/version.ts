// `osctl version`: the client's version and each node's (Bronze tag, commit, runtime, platform).
import { BRONZE_VERSION, VersionResponseSchema } from "@bronze/api";
import { fanOut } from "../client/fan-out.ts";
import { type NodeGlobals, withNodeSession } from "../client/node-client.ts";
import { messageData, nodeData, reportErrors } from "../client/node-output.ts";
import type { Io } from "../io.ts";
import type { OutputFormat } from "../output/output-format.ts";
import { renderData } from "../output/output-format.ts";

export async function version(
  options: { output: OutputFormat },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      session.client.version({}, { headers: n.headers, timeoutMs: session.timeoutMs }),
    );
    if (options.output !== "table") {
      io.stdout(
        renderData(options.output, {
          client: { tag: BRONZE_VERSION },
          nodes: nodeData(results, (v) => messageData(VersionResponseSchema, v)),
        }),
      );
      return reportErrors(io, results);
    }
    const lines = ["Client:", `\tTag:         ${BRONZE_VERSION}`];
    for (const r of results) {
      if (!("value" in r)) continue;
      const v = r.value.version;
      lines.push(
        "Server:",
        `\tNODE:        ${r.node}`,
        `\tTag:         ${v?.tag ?? ""}`,
        `\tSHA:         ${v?.sha ?? ""}`,
        `\tRuntime:     ${v?.runtime ?? ""}`,
        `\tOS/Arch:     ${v?.os ?? ""}/${v?.arch ?? ""}`,
        `\tPlatform:    ${r.value.platform}`,
        `\tMaintenance: ${r.value.maintenance ? "yes" : "no"}`,
      );
      if (r.value.bootedSlot !== "")
        lines.push(
          `\tSlot:        ${r.value.bootedSlot} (other slot: ${r.value.otherSlotVersion || "empty"})`,
          ...(r.value.lastUpgrade !== "" ? [`\tLast change: ${r.value.lastUpgrade}`] : []),
        );
    }
    io.stdout(`${lines.join("\n")}\n`);
    return reportErrors(io, results);
  });
}
