// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac} is machined's variable, not a template
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grubConfig, runTool } from "@bronze/image";
import { demoClusterPlan } from "../testing/demo-cluster-plan.ts";
import { createTestIo } from "../testing/test-io.ts";
import { createClusterDir } from "./cluster-dir.ts";
import {
  GPT_BYTES,
  gptPartitions,
  NodeDiskError,
  nodeGrubConfig,
  prepareNodeDisk,
  prepareNodeDisks,
} from "./node-disk.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-node-disk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE_ARGS = "console=ttyS0 console=tty0 init_on_alloc=1 slab_nomerge pti=on bronze.platform=qemu";
const GRUB_CFG = grubConfig({
  kernelArgs: IMAGE_ARGS.split(" "),
  slotUuids: { A: "13a9ea97-fc84", B: "79d0b6db-e015" },
});
const nodeArgs = (image: string) =>
  `${image} bronze.config=http://10.0.2.2:4100/config?mac=\${mac} bronze.hostname=n1 console=ttyS0`;

/** A GPT disk image made by sfdisk, with a FAT "EFI" partition (mformat) holding grub.cfg. */
async function smallDisk(path: string): Promise<number> {
  await runTool(["truncate", "-s", "8M", path]);
  await runTool(["sfdisk", "--quiet", path], {
    input: "label: gpt\nstart=2048, size=2048, name=BIOS\nstart=4096, size=8192, name=EFI\nname=STATE\n",
  });
  const offset = 4096 * 512;
  const env = { MTOOLS_SKIP_CHECK: "1" };
  await runTool(["mformat", "-i", `${path}@@${offset}`, "-T", "8192", "-h", "2", "-s", "32", "::"], { env });
  await runTool(["mmd", "-i", `${path}@@${offset}`, "::/boot", "::/boot/grub"], { env });
  await runTool(["mcopy", "-i", `${path}@@${offset}`, "-", "::/boot/grub/grub.cfg"], {
    env,
    input: GRUB_CFG,
  });
  return offset;
}

test("gptPartitions reads sfdisk's table: names, byte offsets and sizes", async () => {
  const disk = join(dir, "gpt.raw");
  await smallDisk(disk);
  const head = new Uint8Array(await Bun.file(disk).slice(0, GPT_BYTES).arrayBuffer());
  const parts = gptPartitions(head, disk);
  expect(parts.slice(0, 2)).toEqual([
    { name: "BIOS", offset: 2048 * 512, size: 2048 * 512 },
    { name: "EFI", offset: 4096 * 512, size: 8192 * 512 },
  ]);
  expect(parts.map((p) => p.name)).toEqual(["BIOS", "EFI", "STATE"]);
  expect(() => gptPartitions(new Uint8Array(GPT_BYTES), "/x/disk.raw")).toThrow(
    "/x/disk.raw: no GPT partition table",
  );
});

test("nodeGrubConfig: the node's arguments replace the image's in the line both slots boot with, GRUB-quoted", () => {
  const cfg = nodeGrubConfig(GRUB_CFG, nodeArgs);
  const changed = cfg.split("\n").filter((l) => !GRUB_CFG.split("\n").includes(l));
  expect(changed).toEqual([
    `set bronze_args='${IMAGE_ARGS} bronze.config=http://10.0.2.2:4100/config?mac=\${mac} bronze.hostname=n1 console=ttyS0'`,
  ]);
  expect(cfg.split("\n")).toHaveLength(GRUB_CFG.split("\n").length);
  expect(cfg).toContain("linux /vmlinuz $bronze_args bronze.slot=a");
  // The image's arguments reach the node's command line unquoted.
  const seen: string[] = [];
  nodeGrubConfig("set bronze_args='a b  c'\n", (args) => {
    seen.push(args);
    return args;
  });
  expect(seen).toEqual(["a b c"]);
  expect(() => nodeGrubConfig("set default=0\n", nodeArgs)).toThrow(NodeDiskError);
});

test("prepareNodeDisk copies the disk and rewrites grub.cfg on its EFI partition; the source is untouched", async () => {
  const source = join(dir, "source.raw");
  const offset = await smallDisk(source);
  const before = await Bun.file(source).bytes();
  const target = join(dir, "node.raw");
  await prepareNodeDisk({ source, target, cmdline: nodeArgs, run: runTool });
  const read = (disk: string) =>
    runTool(["mcopy", "-n", "-i", `${disk}@@${offset}`, "::/boot/grub/grub.cfg", "-"], {
      env: { MTOOLS_SKIP_CHECK: "1" },
    });
  expect(await read(target)).toBe(nodeGrubConfig(GRUB_CFG, nodeArgs));
  expect(await read(source)).toBe(GRUB_CFG);
  expect(Buffer.from(await Bun.file(source).bytes()).equals(Buffer.from(before))).toBe(true);
  await expect(
    prepareNodeDisk({
      source: join(dir, "source.raw"),
      target: join(dir, "nowhere/node.raw"),
      cmdline: nodeArgs,
      run: runTool,
    }),
  ).rejects.toMatchObject({ code: "ToolFailed", message: expect.stringContaining("copying") });
});

test("prepareNodeDisks: a disk per node with its own arguments (no config URL with --no-config); a bad image refused", async () => {
  const source = join(dir, "cluster-source.raw");
  const offset = await smallDisk(source);
  const io = createTestIo();
  try {
    const plan = demoClusterPlan();
    const dirs = createClusterDir(io.home, "demo");
    const disks = await prepareNodeDisks(
      { plan, dirs, source, serverPort: 4100, withConfig: false, run: runTool },
      io,
    );
    expect([...disks]).toEqual(plan.nodes.map((n) => [n.name, join(dirs.dir, n.name, "disk.raw")]));
    const grub = await runTool(
      ["mcopy", "-n", "-i", `${disks.get("demo-worker-1")}@@${offset}`, "::/boot/grub/grub.cfg", "-"],
      { env: { MTOOLS_SKIP_CHECK: "1" } },
    );
    expect(grub).toContain(`set bronze_args='${IMAGE_ARGS} bronze.hostname=demo-worker-1 console=ttyS0'`);
    expect(grub).not.toContain("bronze.config=");
    expect(io.out.join("")).toContain(
      `demo-controlplane-1: disk ${disks.get("demo-controlplane-1")} (a copy`,
    );

    writeFileSync(join(dir, "not-a-disk.raw"), "plain text");
    await expect(
      prepareNodeDisks(
        { plan, dirs, source: join(dir, "not-a-disk.raw"), serverPort: 4100, withConfig: true, run: runTool },
        io,
      ),
    ).rejects.toMatchObject({
      name: "CliError",
      code: "invalid-input",
      message: expect.stringContaining("no GPT"),
    });
  } finally {
    io.cleanup();
  }
});
