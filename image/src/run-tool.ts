import { ImageError } from "./image-error.ts";

export interface RunToolOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the tool's stdin (otherwise stdin is closed). */
  readonly input?: string;
}

/** Runs an external tool to completion and returns its stdout; fails with ImageError(ToolFailed). */
export type RunTool = (argv: readonly string[], options?: RunToolOptions) => Promise<string>;

/** The real RunTool (Bun.spawn). The error names the command, its exit status and the tail of stderr. */
export const runTool: RunTool = async (argv, options = {}) => {
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn([...argv], {
      cwd: options.cwd,
      env: { ...process.env, LC_ALL: "C", ...options.env },
      stdin: options.input === undefined ? "ignore" : new TextEncoder().encode(options.input),
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (cause) {
    throw new ImageError("ToolFailed", `cannot start ${argv[0]}: ${(cause as Error).message}`, { cause });
  }
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout as ReadableStream).text(),
    new Response(proc.stderr as ReadableStream).text(),
    proc.exited,
  ]);
  if (code !== 0) {
    const tail = stderr.trim().split("\n").slice(-15).join("\n");
    throw new ImageError("ToolFailed", `${argv.join(" ")} exited with ${code}${tail ? `:\n${tail}` : ""}`);
  }
  return stdout;
};
