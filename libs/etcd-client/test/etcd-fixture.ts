// What this lib's component tests share: a cluster started before a file's tests and stopped after
// them (even when they fail), a client of it, and the EtcdError a call fails with.
import { afterAll, beforeAll } from "bun:test";
import type { EtcdClient } from "../src/client.ts";
import { type EtcdError, isEtcdError } from "../src/errors.ts";
import {
  startTestEtcdCluster,
  type TestEtcdCluster,
  type TestEtcdClusterOptions,
} from "../src/testing/index.ts";

export interface ClusterFixture {
  readonly cluster: TestEtcdCluster;
  /** A client of every member. */
  readonly client: EtcdClient;
}

/** Starts a cluster in beforeAll and stops it in afterAll; read its fields inside tests. */
export function useTestCluster(options: TestEtcdClusterOptions): ClusterFixture {
  let cluster: TestEtcdCluster | undefined;
  let client: EtcdClient | undefined;
  beforeAll(async () => {
    cluster = await startTestEtcdCluster(options);
    client = await cluster.connect();
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error("the test cluster is not started (use it inside tests)");
      return cluster;
    },
    get client() {
      if (!client) throw new Error("the test cluster is not started (use it inside tests)");
      return client;
    },
  };
}

/** The EtcdError `p` rejects with (any other outcome fails the test). */
export async function etcdFailure(p: Promise<unknown>): Promise<EtcdError> {
  try {
    await p;
  } catch (e) {
    if (isEtcdError(e)) return e;
    throw e;
  }
  throw new Error("expected an EtcdError, but the call succeeded");
}
