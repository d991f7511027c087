// The machined stand-in as its own process for the bench: `bun stand-in-process.ts SOCKET LOGDIR FILES`.
import { startMachinedStandIn } from "../test/machined-stand-in.ts";

const [socketPath, logDir, filesRoot] = process.argv.slice(2);
if (socketPath === undefined || logDir === undefined || filesRoot === undefined) {
  process.stderr.write("usage: stand-in-process.ts SOCKET LOGDIR FILESROOT\n");
  process.exit(2);
}
const standIn = await startMachinedStandIn({ socketPath, logDir, filesRoot });
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  standIn.close().then(() => process.exit(0));
});
