// `osctl bootstrap` and `osctl etcd members|status|snapshot|leave|remove-member|forfeit-leadership|
// defrag|alarm list|alarm disarm`: a control plane's etcd through its API (machined's etcd/node-etcd.ts).

import { closeSync, fsyncSync, openSync, statSync, writeSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import {
  ETCD_RECOVER_PART_BYTES,
  type EtcdMember,
  EtcdMemberSchema,
  type EtcdStatusResponse,
  EtcdStatusResponseSchema,
  MachineService,
} from "@bronze/api";
import {
  checkWrittenSnapshot,
  SnapshotFileError,
  SnapshotHasher,
  verifySnapshotFile,
} from "@bronze/etcd-client/snapshot-file";
import { CliError } from "../cli-error.ts";
import { bytesStream } from "../client/bytes-stream.ts";
import { fanOut, succeeded } from "../client/fan-out.ts";
import { type NodeGlobals, withNodeSession } from "../client/node-client.ts";
import { messageData, printNodeResults, reportErrors } from "../client/node-output.ts";
import type { Io } from "../io.ts";
import type { OutputFormat } from "../output/output-format.ts";

const hex = (id: bigint) => id.toString(16);

export async function bootstrap(
  options: { recoverFrom?: string },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  // the snapshot is checked here before a byte goes out: a damaged file is refused at once
  const recover = options.recoverFrom === undefined ? undefined : await checkedSnapshot(options.recoverFrom);
  return withNodeSession(globals, io, {}, async (session) => {
    if (session.nodes.length > 1)
      throw new CliError("usage", "bootstrap is done on one control plane: name one node with -n");
    const results = await fanOut(session, async (n) => {
      const call = { headers: n.headers, timeoutMs: session.timeoutMs };
      if (recover !== undefined) await upload(recover, (part) => session.client.etcdRecover(part, call), io);
      await session.client.bootstrap({ recoverEtcd: recover !== undefined }, call);
    });
    for (const r of succeeded(results))
      io.stderr(
        recover === undefined
          ? `${r.node}: etcd bootstrapped: a new cluster of one member; the other control planes join it by themselves\n`
          : `${r.node}: etcd recovered from ${recover.path}: a new cluster of one member holding the snapshot's data; the other control planes join it by themselves\n`,
      );
    return reportErrors(io, results);
  });
}

export interface CheckedSnapshot {
  path: string;
  bytes: number;
  sha256: string;
}

export async function checkedSnapshot(path: string): Promise<CheckedSnapshot> {
  try {
    const { sha256 } = await verifySnapshotFile(path);
    return { path, bytes: statSync(path).size, sha256 };
  } catch (err) {
    if (err instanceof SnapshotFileError)
      throw new CliError("usage", `--recover-from ${path}: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR")
      throw new CliError("usage", `--recover-from ${path}: ${(err as Error).message}`);
    throw err;
  }
}

/** Sends the snapshot in parts, in order, with progress; the node checks the whole at the last one. */
export async function upload(
  snapshot: CheckedSnapshot,
  send: (part: { offset: bigint; data: Uint8Array; last: boolean }) => Promise<{ sha256: string }>,
  io: Io,
  partBytes = ETCD_RECOVER_PART_BYTES,
): Promise<void> {
  const file = Bun.file(snapshot.path);
  let shown = 0;
  for (let offset = 0; offset < snapshot.bytes; offset += partBytes) {
    const data = new Uint8Array(await file.slice(offset, offset + partBytes).arrayBuffer());
    const last = offset + data.length >= snapshot.bytes;
    const answer = await send({ offset: BigInt(offset), data, last });
    const sent = offset + data.length;
    if (last || sent - shown >= 16 * 2 ** 20) {
      shown = sent;
      io.stderr(`recover-from: uploaded ${mib(BigInt(sent))} of ${mib(BigInt(snapshot.bytes))}\n`);
    }
    if (last && answer.sha256 !== snapshot.sha256)
      throw new CliError(
        "failed",
        `the node holds a different snapshot (sha256 ${answer.sha256}) than ${snapshot.path} (sha256 ${snapshot.sha256})`,
      );
  }
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
      const fd = openSync(partial, "w", 0o600);
      let open = true;
      const check = new SnapshotHasher();
      let shown = 0;
      try {
        // read raw: the pieces go to the file as HTTP/2 delivered them (client/bytes-stream.ts)
        for await (const piece of bytesStream(
          session,
          MachineService.method.etcdSnapshot,
          {},
          { headers: n.headers },
        )) {
          for (let at = 0; at < piece.length; ) at += writeSync(fd, piece, at);
          check.update(piece);
          if (check.bytes - shown >= 4 * 2 ** 20) {
            shown = check.bytes;
            io.stderr(`snapshot: ${(check.bytes / 2 ** 20).toFixed(0)} MiB\n`);
          }
        }
        fsyncSync(fd);
        open = false;
        closeSync(fd);
        // etcd's own SHA-256 closes the stream: a snapshot that does not match it is not kept
        let sha256: string;
        try {
          sha256 = checkWrittenSnapshot(partial, check).sha256;
        } catch (err) {
          throw err instanceof SnapshotFileError
            ? new CliError("failed", `the snapshot received is damaged: ${err.message}`)
            : err;
        }
        await rename(partial, path);
        return { bytes: check.bytes, sha256 };
      } catch (err) {
        if (open) closeSync(fd);
        await rm(partial, { force: true });
        throw err;
      }
    });
    for (const r of succeeded(results))
      io.stderr(
        `${r.node}: snapshot saved to ${path}: ${r.value.bytes} bytes, database sha256 ${r.value.sha256} (etcd's, checked)\n`,
      );
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
