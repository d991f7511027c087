import type { RunTool } from "./run-tool.ts";

/**
 * zstd's arguments. Multi-threaded (-T0) output does not depend on the number of threads, so the
 * result is reproducible across machines; `--no-check`-less frames carry a checksum the kernel
 * ignores; the kernel's initramfs unpacker reads plain zstd frames.
 */
export function zstdArgs(input: string, output: string, level: number): string[] {
  return ["zstd", "-q", "-f", `-${level}`, "-T0", input, "-o", output];
}

export async function zstdCompress(
  run: RunTool,
  input: string,
  output: string,
  level: number,
): Promise<void> {
  await run(zstdArgs(input, output, level));
}
