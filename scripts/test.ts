// Runs every package's tests through turbo, streams their output, and ends with one plain summary
// line ("N passed, N failed") summed over all packages, so CI logs show the total at a glance.
const args = ["turbo", "run", "test", "--concurrency=1", "--continue", "--output-logs=full", ...process.argv.slice(2)];
const proc = Bun.spawn(["bunx", ...args], {
  stdout: "pipe",
  stderr: "inherit",
  env: { ...process.env, FORCE_COLOR: "0" },
});

let passed = 0;
let failed = 0;
let pending = "";
const decoder = new TextDecoder();
function scan(line: string): void {
  const pass = /\s(\d+) pass$/.exec(line);
  const fail = /\s(\d+) fail$/.exec(line);
  if (pass) passed += Number(pass[1]);
  if (fail) failed += Number(fail[1]);
}
for await (const chunk of proc.stdout) {
  process.stdout.write(chunk);
  pending += decoder.decode(chunk, { stream: true });
  const lines = pending.split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines) scan(line);
}
scan(pending);
const code = await proc.exited;
console.log(`\nbun test: ${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
