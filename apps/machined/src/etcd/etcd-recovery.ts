// `osctl bootstrap --recover-from <snapshot>`: the snapshot arrives in parts (EtcdRecover, each call
// under the API's per-call limit, resumable at the size already held), is checked whole (etcd's
// SHA-256 trailer, a bbolt database), and at the bootstrap becomes the new member's database
// (@bronze/etcd-client/snapshot-file: the trailer dropped, the old cluster's raft index cleared).
// Nothing is half-written: the upload is a `.part` file until its last part checks out, and a
// failed restore leaves no member directory behind.
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { ETCD_RECOVER_PART_BYTES } from "@bronze/api";
import { restoreDatabase, SnapshotFileError, verifySnapshotFile } from "@bronze/etcd-client/snapshot-file";
import { EtcdOperationError } from "./etcd-errors.ts";

/** The largest snapshot accepted: etcd's own suggested maximum database size. */
export const RECOVER_MAX_BYTES = 8 * 2 ** 30;

export interface EtcdRecoveryOptions {
  /** Where the upload is kept (root's, 0700): /var/lib/etcd-recover. */
  readonly dir: string;
  /** Who owns the restored database (etcd's uid and gid). */
  readonly owner: { uid: number; gid: number };
}

export class EtcdRecovery {
  readonly #options: EtcdRecoveryOptions;
  /** Parts are written one at a time, in the order they came. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: EtcdRecoveryOptions) {
    this.#options = options;
  }

  get #part(): string {
    return join(this.#options.dir, "snapshot.part");
  }

  /** The checked snapshot, ready for a bootstrap. */
  get snapshotPath(): string {
    return join(this.#options.dir, "snapshot.db");
  }

  /** One part of an upload; the size held after it, and after the last one the database's SHA-256. */
  upload(offset: bigint, data: Uint8Array, last: boolean): Promise<{ size: bigint; sha256: string }> {
    const run = this.#queue.then(() => this.#upload(offset, data, last));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #upload(offset: bigint, data: Uint8Array, last: boolean): Promise<{ size: bigint; sha256: string }> {
    if (data.length > ETCD_RECOVER_PART_BYTES)
      throw new EtcdOperationError(
        "InvalidArgument",
        `a part of ${data.length} bytes is over the ${ETCD_RECOVER_PART_BYTES} a call may carry`,
      );
    mkdirSync(this.#options.dir, { recursive: true, mode: 0o700 });
    if (offset === 0n) {
      rmSync(this.snapshotPath, { force: true });
      rmSync(this.#part, { force: true });
    }
    const held = existsSync(this.#part) ? BigInt(statSync(this.#part).size) : 0n;
    if (offset !== held)
      throw new EtcdOperationError(
        "FailedPrecondition",
        `the upload holds ${held} bytes: send the part at offset ${held}, or start again at 0`,
      );
    const size = held + BigInt(data.length);
    if (size > BigInt(RECOVER_MAX_BYTES))
      throw new EtcdOperationError(
        "InvalidArgument",
        `the snapshot is over ${RECOVER_MAX_BYTES} bytes, the largest database etcd is meant to hold`,
      );
    const fd = openSync(this.#part, offset === 0n ? "w" : "r+", 0o600);
    try {
      writeSync(fd, data, 0, data.length, Number(held));
    } finally {
      closeSync(fd);
    }
    if (!last) return { size, sha256: "" };
    try {
      const { sha256 } = await verifySnapshotFile(this.#part);
      renameSync(this.#part, this.snapshotPath);
      return { size, sha256 };
    } catch (err) {
      rmSync(this.#part, { force: true });
      if (err instanceof SnapshotFileError) throw new EtcdOperationError("InvalidArgument", err.message);
      throw err;
    }
  }

  /** Whether a checked snapshot waits for the bootstrap. */
  ready(): boolean {
    return existsSync(this.snapshotPath);
  }

  /**
   * Writes the uploaded snapshot's database as the member's in `dataDir` (owned by etcd) and drops the
   * upload; what to say of it. Throws when there is none or it no longer checks out, leaving nothing.
   */
  async restoreInto(dataDir: string): Promise<string> {
    if (!this.ready())
      throw new EtcdOperationError(
        "FailedPrecondition",
        "no snapshot uploaded for recovery (osctl bootstrap --recover-from <file> uploads one)",
      );
    let verified: { dbBytes: number; sha256: string };
    try {
      verified = await verifySnapshotFile(this.snapshotPath);
    } catch (err) {
      if (err instanceof SnapshotFileError) throw new EtcdOperationError("InvalidArgument", err.message);
      throw err;
    }
    const { uid, gid } = this.#options.owner;
    const member = join(dataDir, "member");
    try {
      mkdirSync(join(member, "snap"), { recursive: true, mode: 0o700 });
      const db = join(member, "snap", "db");
      await restoreDatabase(this.snapshotPath, db, verified.dbBytes);
      for (const path of [dataDir, member, join(member, "snap"), db]) chownSync(path, uid, gid);
    } catch (err) {
      rmSync(member, { recursive: true, force: true });
      throw err;
    }
    rmSync(this.snapshotPath, { force: true });
    return `sha256 ${verified.sha256.slice(0, 16)}…, ${verified.dbBytes} bytes`;
  }
}
