import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerdClient, CreateContainerOptions } from "@bronze/containerd-client";
import { nodePaths } from "../node/node-paths.ts";
import { RunnerError } from "../supervisor/runners/runner-error.ts";
import { trustdService } from "./trustd.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-trustd-svc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const log = { line: () => {} };

/** A containerd stand-in recording the container it is asked to create, then failing the start. */
function recordingClient() {
  const created: Array<CreateContainerOptions> = [];
  const client = {
    removeContainer: async () => {},
    createContainer: async (o: CreateContainerOptions) => {
      created.push(o);
      return {};
    },
    startTask: async () => {
      throw new Error("no containerd here");
    },
  } as unknown as ContainerdClient;
  return { created, client };
}

test("trustd: uid 51, its secrets, the token file, on 50001 by default", async () => {
  const paths = nodePaths(join(dir, "cp"));
  const { created, client } = recordingClient();
  const service = trustdService({
    paths,
    client: async () => client,
    nodeBinary: process.execPath,
    pkiService: "pki",
  });
  expect(service.dependsOn).toEqual(["containerd", "pki", "apid"]);
  await expect(service.runner.start({ id: "trustd", log })).rejects.toBeInstanceOf(RunnerError);
  expect(created[0]).toMatchObject({
    uid: 51,
    gid: 51,
    capabilities: [],
    args: [
      "/usr/bin/trustd",
      "--listen",
      "0.0.0.0:50001",
      "--pki-dir",
      "/system/secrets/trustd",
      "--token-file",
      "/system/secrets/trustd/token",
    ],
  });
});
