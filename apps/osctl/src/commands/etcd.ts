// `osctl bootstrap` and `osctl etcd members|status|snapshot|leave|remove-member|forfeit-leadership|
// defrag|alarm list|alarm disarm`: a control plane's etcd through its API (machined's etcd/node-etcd.ts).

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import {
  type EtcdMember,
  EtcdMemberSchema,
  type EtcdStatusResponse,
  EtcdStatusResponseSchema,
} from "@bronze/api";
import { CliError } from "../cli-error.ts";
import { fanOut, succeeded } from "../client/fan-out.ts";
import { type NodeGlobals, withNodeSession } from "../client/node-client.ts";
import { messageData, printNodeResults, reportErrors } from "../client/node-output.ts";
import type { Io } from "../io.ts";
import type { OutputFormat } from "../output/output-format.ts";

const hex = (id: bigint) => id.toString(16);

export async function bootstrap(globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    if (session.nodes.length > 1)
      throw new CliError("usage", "bootstrap is done on one control plane: name one node with -n");
    const results = await fanOut(session, (n) =>
      session.client.bootstrap({}, { headers: n.headers, timeoutMs: session.timeoutMs }),
    );
    for (const r of succeeded(results))
      io.stderr(
        `${r.node}: etcd bootstrapped: a new cluster of one member; the other control planes join it by themselves\n`,
      );
    return reportErrors(io, results);
  });
}

const MEMBERS_VIEW = {
  headers: ["ID", "HOSTNAME", "PEER URLS", "CLIENT URLS", "LEARNER"],
  rows: (members: EtcdMember[]) =>
    members.map((m) => [
      hex(m.id),
      m.hostname || "(unstarted)",
      m.peerUrls.join(","),
      m.clientUrls.join(","),
      m.isLearner ? "yes" : "no",
    ]),
  data: (members: EtcdMember[]) => ({
    members: members.map((m) => ({ ...messageData(EtcdMemberSchema, m), id: hex(m.id) })),
  }),
};

export async function members(
  options: { output: OutputFormat },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(
      session,
      async (n) =>
        (await session.client.etcdMembers({}, { headers: n.headers, timeoutMs: session.timeoutMs })).members,
    );
    return printNodeResults(io, options.output, results, MEMBERS_VIEW);
  });
}

const mib = (bytes: bigint) => `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB`;

const STATUS_VIEW = {
  headers: ["MEMBER", "LEADER", "VERSION", "DB SIZE", "IN USE", "RAFT INDEX", "LEARNER", "STORAGE", "STATE"],
  rows: (s: EtcdStatusResponse) => [
    [
      s.memberId === 0n ? "-" : hex(s.memberId),
      s.leaderId === 0n ? "-" : s.leaderId === s.memberId ? "this member" : hex(s.leaderId),
      s.version || "-",
      s.memberId === 0n ? "-" : mib(s.dbSize),
      s.memberId === 0n ? "-" : mib(s.dbSizeInUse),
      s.memberId === 0n ? "-" : String(s.raftIndex),
      s.memberId === 0n ? "-" : s.isLearner ? "yes" : "no",
      s.storage,
      [s.state, ...s.errors].join("; "),
    ],
  ],
  data: (s: EtcdStatusResponse) => ({
    ...messageData(EtcdStatusResponseSchema, s),
    memberId: hex(s.memberId),
    leaderId: hex(s.leaderId),
  }),
};

export async function status(
  options: { output: OutputFormat },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      session.client.etcdStatus({}, { headers: n.headers, timeoutMs: session.timeoutMs }),
    );
    return printNodeResults(io, options.output, results, STATUS_VIEW);
  });
}

/** Streams the node's snapshot into `path` (written beside it, renamed when complete), with progress. */
export async function snapshot(path: string, globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    if (session.nodes.length > 1)
      throw new CliError("usage", "etcd snapshot takes one node: name it with -n");
    const results = await fanOut(session, async (n) => {
      const partial = `${path}.part`;
      const out = createWriteStream(partial, { mode: 0o600 });
      const hash = createHash("sha256");
      let bytes = 0;
      let shown = 0;
      try {
        for await (const m of session.client.etcdSnapshot({}, { headers: n.headers })) {
          if (!out.write(m.data)) await new Promise((r) => out.once("drain", r));
          hash.update(m.data);
          bytes += m.data.length;
          if (bytes - shown >= 4 * 2 ** 20) {
            shown = bytes;
            io.stderr(`snapshot: ${(bytes / 2 ** 20).toFixed(0)} MiB\n`);
          }
        }
        await new Promise<void>((resolve, reject) =>
          out.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
        await rename(partial, path);
      } catch (err) {
        out.destroy();
        await rm(partial, { force: true });
        throw err;
      }
      return { bytes, sha256: hash.digest("hex") };
    });
    for (const r of succeeded(results))
      io.stderr(`${r.node}: snapshot saved to ${path}: ${r.value.bytes} bytes, sha256 ${r.value.sha256}\n`);
    return reportErrors(io, results);
  });
}

export async function leave(options: { force?: boolean }, globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      session.client.etcdLeaveCluster(
        { force: options.force ?? false },
        { headers: n.headers, timeoutMs: session.timeoutMs },
      ),
    );
    for (const r of succeeded(results)) io.stderr(`${r.node}: left the etcd cluster; its etcd is stopped\n`);
    return reportErrors(io, results);
  });
}

export async function removeMember(
  member: string,
  options: { force?: boolean },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    if (session.nodes.length > 1)
      throw new CliError("usage", "etcd remove-member goes through one node: name it with -n");
    const results = await fanOut(session, (n) =>
      session.client.etcdRemoveMember(
        { member, force: options.force ?? false },
        { headers: n.headers, timeoutMs: session.timeoutMs },
      ),
    );
    for (const r of succeeded(results)) io.stderr(`${r.node}: member ${member} removed\n`);
    return reportErrors(io, results);
  });
}

export async function forfeitLeadership(globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      session.client.etcdForfeitLeadership({}, { headers: n.headers, timeoutMs: session.timeoutMs }),
    );
    for (const r of succeeded(results))
      io.stdout(
        r.value.newLeaderId === 0n
          ? `${r.node}: not the leader: nothing to do\n`
          : `${r.node}: leadership moved to ${hex(r.value.newLeaderId)}\n`,
      );
    return reportErrors(io, results);
  });
}

export async function defrag(globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      session.client.etcdDefragment({}, { headers: n.headers, timeoutMs: session.timeoutMs }),
    );
    for (const r of succeeded(results))
      io.stdout(`${r.node}: defragmented: ${mib(r.value.dbSizeBefore)} -> ${mib(r.value.dbSizeAfter)}\n`);
    return reportErrors(io, results);
  });
}

const ALARMS_VIEW = {
  headers: ["MEMBER", "ALARM"],
  rows: (alarms: { memberId: bigint; alarm: string }[]) => alarms.map((a) => [hex(a.memberId), a.alarm]),
  data: (alarms: { memberId: bigint; alarm: string }[]) => ({
    alarms: alarms.map((a) => ({ memberId: hex(a.memberId), alarm: a.alarm })),
  }),
};

export async function alarms(
  action: "list" | "disarm",
  options: { output: OutputFormat },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, async (n) => {
      const call = { headers: n.headers, timeoutMs: session.timeoutMs };
      return action === "list"
        ? (await session.client.etcdAlarmList({}, call)).alarms
        : (await session.client.etcdAlarmDisarm({}, call)).disarmed;
    });
    return printNodeResults(io, options.output, results, ALARMS_VIEW);
  });
}
