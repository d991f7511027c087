// Runs every package's tests (unit, real components, and tests/e2e's end-to-end tests) through turbo, then the tests of the shared build scripts in
// ./scripts, streams their output, and ends with one plain summary line ("N passed, N failed")
// summed over all of them, so CI logs show the total at a glance.
export {};

let passed = 0;
let failed = 0;

function scan(line: string): void {
  const pass = /\s(\d+) pass$/.exec(line);
  const fail = /\s(\d+) fail$/.exec(line);
  if (pass) passed += Number(pass[1]);
  if (fail) failed += Number(fail[1]);
}

async function run(argv: string[]): Promise<number> {
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, FORCE_COLOR: "0" } });
  const pump = async (stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      out.write(chunk);
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) scan(line);
    }
    scan(pending);
  };
  // bun test prints its counts on stderr when run directly, on stdout under turbo: read both.
  await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
  return proc.exited;
}

const turbo = await run([
  "bunx",
  "turbo",
  "run",
  "test",
  "test:e2e",
  "--concurrency=1",
  "--continue",
  "--output-logs=full",
  ...process.argv.slice(2),
]);
const scripts = await run(["bun", "test", "--timeout", "60000", "./scripts/"]);
console.log(`\nbun test: ${passed} passed, ${failed} failed`);
process.exit(turbo !== 0 ? turbo : scripts !== 0 ? scripts : failed > 0 ? 1 : 0);
