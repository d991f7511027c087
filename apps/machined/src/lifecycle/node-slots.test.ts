import { expect, test } from "bun:test";
import type { ServiceStatus } from "../supervisor/service.ts";
import { trialProblem } from "./node-slots.ts";

const status = (id: string, state: string, healthy?: boolean, message = ""): ServiceStatus =>
  ({
    id,
    state,
    message: "",
    since: 0,
    health: healthy === undefined ? undefined : { healthy, message, lastChange: 0 },
    up: state === "Running",
    pid: 1,
    runs: 1,
    lastExit: undefined,
    dependsOn: [],
    runner: "test",
  }) as ServiceStatus;

test("a trial is healthy when containerd and apid run and pass their health checks", () => {
  expect(
    trialProblem([status("containerd", "Running", true), status("apid", "Running", true)]),
  ).toBeUndefined();
  expect(trialProblem([status("containerd", "Running"), status("apid", "Running", true)])).toBeUndefined();
  expect(trialProblem([status("containerd", "Running", true)])).toBe("apid is not registered");
  expect(
    trialProblem([status("containerd", "Waiting"), status("apid", "Running", false, "TLS handshake failed")]),
  ).toBe("containerd is Waiting; apid is not healthy (TLS handshake failed)");
  // a release that cannot read the config runs apid in maintenance mode: not a healthy upgrade
  expect(
    trialProblem(
      [status("containerd", "Running", true), status("apid", "Running", true)],
      "the stored config is invalid",
    ),
  ).toBe("the node is in maintenance mode (the stored config is invalid)");
});

test("a control plane whose etcd ran before also waits for etcd to be healthy", () => {
  const base = [status("containerd", "Running", true), status("apid", "Running", true)];
  expect(trialProblem([...base, status("etcd", "Waiting")])).toBeUndefined();
  expect(
    trialProblem([...base, status("etcd", "Running", false, 'etcd /health: {"health":"false"}')], undefined, [
      "etcd",
    ]),
  ).toBe('etcd is not healthy (etcd /health: {"health":"false"})');
  expect(trialProblem([...base, status("etcd", "Running", true)], undefined, ["etcd"])).toBeUndefined();
});
