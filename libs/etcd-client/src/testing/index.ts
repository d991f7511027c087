// @bronze/etcd-client/testing: the harness for tests that need a real etcd (machined's tests, this
// lib's own): a cluster of Debian's etcd processes of their own on loopback, with TLS or without.
// Tests only: no product code imports it (scripts/check-boundaries.ts checks).
export {
  type EtcdctlResult,
  type EtcdctlSetup,
  startTestEtcdCluster,
  type TestEtcdCluster,
  type TestEtcdClusterOptions,
  type TestEtcdMember,
} from "./etcd-cluster.ts";
export { type TestEtcdPki, type TlsFiles, testClientTls } from "./test-pki.ts";
