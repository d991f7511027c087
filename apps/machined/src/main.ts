// The multi-call binary's entry point (docs/design.md §1): machined, stage 1, apid and trustd are one
// compiled program that becomes what it was started as.
import { resolveApplet } from "./boot/entry-args.ts";

/**
 * The image compiles this binary with the JIT's tier-up thresholds scaled up (image/src/node-binary.ts):
 * every applet starts on the guest's one vCPU, where compiler threads compete with the start itself.
 * Once an applet has started, the normal policy comes back, for the work it does from then on.
 */
const START_UP_MS = 60_000;
setTimeout(() => Bun.unsafe.setJITPolicy(1), START_UP_MS).unref();

const applet = resolveApplet(process.argv0, process.argv[1]);
const rest = process.argv.slice(2);

switch (applet) {
  case "machined": {
    const { machinedMain } = await import("./boot/machined-main.ts");
    machinedMain(rest);
    break;
  }
  case "stage1": {
    const { stage1Main } = await import("./stage1/stage1-main.ts");
    stage1Main();
    break;
  }
  case "apid": {
    const { main } = await import("../../apid/src/main.ts");
    process.exit(await main(rest));
    break;
  }
  case "trustd": {
    const { main } = await import("../../trustd/src/main.ts");
    process.exit(await main(rest));
    break;
  }
}
