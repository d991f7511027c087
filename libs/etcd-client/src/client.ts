// EtcdClient: connections to etcd's members (endpoints tried in order, the first that answers used
// until it fails), with the key-value, cluster and maintenance operations Bronze needs.
import {
  type MemberAddOptions,
  type MemberAddResult,
  memberAdd,
  memberList,
  memberPromote,
  memberRemove,
} from "./cluster.ts";
import { type CallOptions, Connection, type ConnectionOptions } from "./connection.ts";
import {
  type EtcdAlarm,
  type EtcdAlarmType,
  type EtcdHashKV,
  type EtcdMember,
  type EtcdStatus,
  toText,
} from "./convert.ts";
import { del, type EtcdKey, get, put } from "./kv.ts";
import {
  alarmDisarm,
  alarmDisarmAll,
  alarmList,
  defragment,
  hashKV,
  moveLeader,
  status,
} from "./maintenance.ts";
import { type SnapshotOptions, snapshot } from "./snapshot.ts";

export interface ConnectOptions extends ConnectionOptions {
  /**
   * Check that an endpoint answers before returning (default true): the endpoints are asked for
   * their status in order, and the first that answers is the one calls go to.
   */
  verify?: boolean;
}

export class EtcdClient {
  private constructor(private readonly conn: Connection) {}

  /** Connects to etcd; unless `verify: false`, fails here (Unavailable) when no endpoint answers. */
  static async connect(options: ConnectOptions): Promise<EtcdClient> {
    const client = new EtcdClient(Connection.open(options));
    if (options.verify ?? true) {
      try {
        await client.status();
      } catch (e) {
        client.close();
        throw e;
      }
    }
    return client;
  }

  /** The configured endpoints, normalized (`https://127.0.0.1:2379`). */
  get endpoints(): readonly string[] {
    return this.conn.endpoints;
  }

  /** The endpoint calls go to now. */
  get endpoint(): string {
    return this.conn.endpoint;
  }

  /** The default deadline of this client's calls, in milliseconds. */
  get timeoutMs(): number {
    return this.conn.timeoutMs;
  }

  put(key: EtcdKey, value: string | Uint8Array, options?: CallOptions): Promise<void> {
    return put(this.conn, key, value, options);
  }

  /** The value of `key` as text (UTF-8), or undefined when there is none. */
  async get(key: EtcdKey, options?: CallOptions): Promise<string | undefined> {
    const value = await get(this.conn, key, options);
    return value === undefined ? undefined : toText(value);
  }

  /** The value of `key` as bytes, or undefined when there is none. */
  getBytes(key: EtcdKey, options?: CallOptions): Promise<Uint8Array | undefined> {
    return get(this.conn, key, options);
  }

  /** Deletes `key`; true when there was one. */
  delete(key: EtcdKey, options?: CallOptions): Promise<boolean> {
    return del(this.conn, key, options);
  }

  memberList(options?: CallOptions): Promise<EtcdMember[]> {
    return memberList(this.conn, options);
  }

  /** Adds a member (a learner with `learner: true`); start its etcd with the members returned. */
  memberAdd(peerUrls: string[], options?: MemberAddOptions): Promise<MemberAddResult> {
    return memberAdd(this.conn, peerUrls, options);
  }

  /** Removes a member (id as bigint or hex); returns the members left. */
  memberRemove(id: bigint | string, options?: CallOptions): Promise<EtcdMember[]> {
    return memberRemove(this.conn, id, options);
  }

  /** Promotes a learner; LearnerNotReady until it has caught up with the leader. */
  memberPromote(id: bigint | string, options?: CallOptions): Promise<EtcdMember[]> {
    return memberPromote(this.conn, id, options);
  }

  /** Status of the member at `endpoint` (connecting to it alone), or of the current endpoint. */
  status(endpoint?: string, options?: CallOptions): Promise<EtcdStatus> {
    return status(this.conn, endpoint, options);
  }

  alarmList(options?: CallOptions): Promise<EtcdAlarm[]> {
    return alarmList(this.conn, options);
  }

  /** Disarms one member's alarm; returns the alarms disarmed. */
  alarmDisarm(memberId: bigint | string, alarm: EtcdAlarmType, options?: CallOptions): Promise<EtcdAlarm[]> {
    return alarmDisarm(this.conn, memberId, alarm, options);
  }

  /** Disarms every alarm raised; returns those disarmed. */
  alarmDisarmAll(options?: CallOptions): Promise<EtcdAlarm[]> {
    return alarmDisarmAll(this.conn, options);
  }

  /** Defragments the member at `endpoint` (deadline 5 min unless given). */
  defragment(endpoint: string, options?: CallOptions): Promise<void> {
    return defragment(this.conn, endpoint, options);
  }

  /** Transfers leadership to `targetId` (sent to the leader, wherever the client points). */
  moveLeader(targetId: bigint | string, options?: CallOptions): Promise<void> {
    return moveLeader(this.conn, targetId, options);
  }

  /** The KV hash of the member at `endpoint` up to `revision` (0: latest). */
  hashKV(endpoint: string, revision?: number, options?: CallOptions): Promise<EtcdHashKV> {
    return hashKV(this.conn, endpoint, revision, options);
  }

  /** The database as a stream of bytes (what `etcdctl snapshot save` writes); open-ended unless given a deadline or signal. */
  snapshot(options?: SnapshotOptions): AsyncIterable<Uint8Array> {
    return snapshot(this.conn, options);
  }

  /** Closes the connections; later calls fail with Canceled. */
  close(): void {
    this.conn.close();
  }
}
