// `bun run test:e2e`: the QEMU end-to-end files in two lanes at once, each lane one `bun test` process
// running its files in order. A QEMU guest under TCG keeps one core busy and leaves the other mostly
// idle; the upgrade chain (qemu-upgrade.test.ts, ~22 min of boots) and the power cuts (~9 min) run
// beside the rest instead of after it. Image builds from both lanes wait for each other (image/src/work-lock.ts). Each line is prefixed
// with its lane; each lane ends with bun's own "N pass / N fail" lines, which scripts/test.ts adds up.
const LANES: readonly (readonly string[])[] = [
  [
    "./container-node.test.ts",
    "./qemu-defaults.test.ts",
    "./qemu-pxe.test.ts",
    "./qemu-disk.test.ts",
    "./qemu-cluster.test.ts",
    "./qemu-maintenance.test.ts",
    "./qemu-install.test.ts",
  ],
  // the power cuts reuse the upgrade chain's builds (installed, newer): after it, in its lane
  ["./qemu-upgrade.test.ts", "./qemu-power-cut.test.ts"],
];

async function pump(
  stream: ReadableStream<Uint8Array>,
  out: NodeJS.WriteStream,
  prefix: string,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) out.write(`${prefix}${line}\n`);
  }
  if (pending !== "") out.write(`${prefix}${pending}\n`);
}

const codes = await Promise.all(
  LANES.map(async (files, i) => {
    const proc = Bun.spawn(["bun", "test", "--timeout", "2400000", ...files], {
      cwd: import.meta.dir,
      stdout: "pipe",
      stderr: "pipe",
    });
    const prefix = `[e2e lane ${i + 1}] `;
    await Promise.all([pump(proc.stdout, process.stdout, prefix), pump(proc.stderr, process.stderr, prefix)]);
    return proc.exited;
  }),
);
process.exit(codes.find((c) => c !== 0) ?? 0);
