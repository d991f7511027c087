// Runs the tests through turbo, streams their output, and ends with one plain summary line
// ("bun test: N passed, N failed") summed over everything that ran, so CI logs show the total at a
// glance.
//
//   bun scripts/test.ts                  every tier, as CI does (`bun run test`)
//   bun scripts/test.ts unit             unit tests: no root, no network, no containerd (`bun run test:unit`)
//   bun scripts/test.ts components       *.component.test.ts: root, a real containerd, namespaces, loop devices
//   bun scripts/test.ts e2e              QEMU (tests/e2e, *.e2e.test.ts)
//
// Several tiers may be named; anything else is passed to turbo (e.g. --filter=@bronze/machined).
// The tests of the shared build scripts in ./scripts are unit tests.
export {};

const TIERS = { unit: "test:unit", components: "test:components", e2e: "test:e2e" } as const;
type Tier = keyof typeof TIERS;
const isTier = (arg: string): arg is Tier => Object.hasOwn(TIERS, arg);

const args = process.argv.slice(2);
const named = args.filter(isTier);
const turboFlags = args.filter((a) => !isTier(a));
// Every tier: each package's `test` (its unit and component tests in one run), then the end-to-end tests.
const tasks = named.length === 0 ? ["test", "test:e2e"] : named.map((t) => TIERS[t]);
const withScripts = named.length === 0 || named.includes("unit");

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
  ...tasks,
  "--concurrency=1",
  "--continue",
  "--output-logs=full",
  ...turboFlags,
]);
const scripts = withScripts ? await run(["bun", "test", "--timeout", "60000", "./scripts/"]) : 0;
console.log(`\nbun test: ${passed} passed, ${failed} failed`);
process.exit(turbo !== 0 ? turbo : scripts !== 0 ? scripts : failed > 0 ? 1 : 0);
