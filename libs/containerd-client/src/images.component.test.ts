import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxImage, ctr, useContainerd } from "../test/fixtures.ts";
import { isContainerdError } from "./errors.ts";
import { MediaType } from "./image-spec.ts";

const env = useContainerd();

test("an OCI tarball imported from a file is recorded, unpacked, and listed and runnable by ctr", async () => {
  const tar = busyboxImage("bronze/busybox:lib");
  const file = join(env.scratch, "busybox-lib.tar");
  writeFileSync(file, tar.data);
  const [image, ...rest] = await env.client.images.import(file);
  expect(rest).toEqual([]);
  expect(image?.name).toBe("docker.io/bronze/busybox:lib");
  expect(image?.target.digest).toBe(tar.manifest.digest);
  expect(image?.target.mediaType).toBe(MediaType.ociManifest);
  expect((await env.client.images.get(image?.name ?? "")).target.digest).toBe(tar.manifest.digest);
  expect((await env.client.images.list()).map((i) => i.name)).toContain("docker.io/bronze/busybox:lib");
  const resolved = await env.client.images.resolve("docker.io/bronze/busybox:lib");
  expect(resolved.config.rootfs.diff_ids).toEqual([tar.diffId]);
  expect(resolved.config.config?.Env).toContain("FROM_IMAGE=yes");
  expect(resolved.chainId).toBe(tar.diffId);
  expect(await env.client.images.isUnpacked(resolved)).toBe(true);

  const ls = ctr(env, ["images", "ls"]);
  expect(ls.out).toContain("docker.io/bronze/busybox:lib");
  expect(ls.out).toContain("linux/amd64");
  const run = ctr(env, [
    "run",
    "--rm",
    "docker.io/bronze/busybox:lib",
    "ctr-runs-lib-image",
    "/bin/sh",
    "-c",
    "echo ran by ctr: $FROM_IMAGE",
  ]);
  expect(run.err).toBe("");
  expect(run.out.trim()).toBe("ran by ctr: yes");
});

test("an image imported by ctr resolves and runs through the lib", async () => {
  const tar = busyboxImage("bronze/busybox:ctr", { "etc/imported-by": "ctr\n" });
  const file = join(env.scratch, "busybox-ctr.tar");
  writeFileSync(file, tar.data);
  const imp = ctr(env, ["images", "import", file]);
  expect(imp.code).toBe(0);
  const log = join(env.scratch, "ctr-image.log");
  const result = await env.client.run({
    id: "lib-runs-ctr-image",
    image: "docker.io/bronze/busybox:ctr",
    args: ["/bin/cat", "/etc/imported-by"],
    logPath: log,
  });
  expect(result.exitStatus).toBe(0);
  expect(await Bun.file(log).text()).toBe("ctr\n");
});

test("re-importing points the image at the new target; remove with sync frees content and snapshots", async () => {
  const first = busyboxImage("bronze/busybox:moving");
  const second = busyboxImage("bronze/busybox:moving", { "etc/version": "2" });
  await env.client.images.import(first.data);
  await env.client.images.import(second.data);
  expect((await env.client.images.get("docker.io/bronze/busybox:moving")).target.digest).toBe(
    second.manifest.digest,
  );
  await env.client.images.remove("docker.io/bronze/busybox:moving", { sync: true });
  expect(
    isContainerdError(
      await env.client.images.get("docker.io/bronze/busybox:moving").catch((e) => e),
      "NotFound",
    ),
  ).toBe(true);
  expect(await env.client.content.has(second.layer.digest)).toBe(false);
  // the first version's layer is byte-identical to busybox:lib's (deterministic builds): still used, so kept
  expect(first.layer.digest).toBe(busyboxImage("bronze/busybox:lib").layer.digest);
  expect(await env.client.content.has(first.layer.digest)).toBe(true);
  const snaps = (await env.client.snapshots.list()).map((s) => s.name);
  expect(snaps).not.toContain(second.diffId);
});

test("a missing image is NotFound with its name", async () => {
  const e = await env.client.images.get("docker.io/library/absent:1").catch((x) => x);
  expect(isContainerdError(e, "NotFound")).toBe(true);
  expect(e.message).toContain("absent:1");
  const r = await env.client.images.resolve("docker.io/library/absent:1").catch((x) => x);
  expect(isContainerdError(r, "NotFound")).toBe(true);
});
