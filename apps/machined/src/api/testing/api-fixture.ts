// Test support for the machine API: a context over real parts where they run here (Supervisor,
// ConfigStore on a temporary directory, temporary /proc and files roots) and fakes elsewhere
// (sequencer, kernel log, clock), and in-memory clients that go through the authorize interceptor.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MachineService, ROLE_HEADER, type Role } from "@bronze/api";
import { type Client, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { ConfigApplier, type ConfigApplierDeps } from "../../config/config-apply.ts";
import { ConfigStore } from "../../config/config-store.ts";
import { type ConfigCheck, ConfigWorkerClient } from "../../config/config-worker-client.ts";
import { parseKernelArgs } from "../../node/kernel-args.ts";
import { newNodeState, recordMaintenance, type WritableNodeState } from "../../node/node-state.ts";
import { Supervisor } from "../../supervisor/supervisor.ts";
import { FakeClock } from "../../testing/fake-clock.ts";
import { authorize } from "../authorize.ts";
import type { MachineApiContext } from "../context.ts";
import type { KmsgReader, KmsgSource } from "../kmsg/kmsg-source.ts";
import { createMachineService } from "../machine-service.ts";
import { type ResetRun, type Sequencer, SequencerError } from "../sequencer.ts";

/** A kernel log whose records the test appends; every open() reads from the start. */
export class FakeKmsg implements KmsgSource {
  readonly records: string[] = [];
  opened = 0;
  closed = 0;

  open(): KmsgReader {
    this.opened++;
    let at = 0;
    return {
      read: () => {
        const record = this.records[at];
        if (record !== undefined) at++;
        return record;
      },
      close: () => {
        this.closed++;
      },
    };
  }
}

export class FakeSequencer implements Sequencer {
  readonly calls: string[] = [];
  /** The sequence holding the lock, if any: calls are refused. */
  locked: string | undefined;

  async reboot(): Promise<void> {
    this.#run("reboot");
  }

  async shutdown(): Promise<void> {
    this.#run("shutdown");
  }

  async reset(run: ResetRun): Promise<void> {
    this.#run(`reset graceful=${run.graceful} reboot=${run.reboot}`);
  }

  #run(name: string): void {
    if (this.locked !== undefined) {
      throw new SequencerError("Locked", `the ${this.locked} sequence is running`);
    }
    this.calls.push(name);
  }
}

/**
 * The real config worker, one for the test process (with the real clock: its budget is real time): it
 * starts on the first apply and ends once idle.
 */
const sharedCheck = new ConfigWorkerClient();

/** What the fixture's real ConfigApplier is given instead of its defaults. */
export type FixtureApplierOptions = Partial<
  Pick<
    ConfigApplierDeps,
    "platform" | "args" | "persists" | "install" | "setHostname" | "reboot" | "services"
  >
> & {
  /** The config worker of the applier and the API (default: one real worker for the test process). */
  readonly check?: ConfigCheck;
  /** Start in maintenance mode (no config: what a node without one serves). Default: configured. */
  readonly maintenance?: boolean;
};

export interface Fixture {
  readonly ctx: MachineApiContext;
  /** The node's state the fixture's ConfigApplier writes. */
  readonly state: WritableNodeState;
  readonly applier: ConfigApplier;
  /** Hostnames the applier set (in place of the kernel's). */
  readonly hostnames: string[];
  /** machined's log lines from the applier. */
  readonly lines: string[];
  readonly dir: string;
  readonly supervisor: Supervisor;
  readonly store: ConfigStore;
  readonly clock: FakeClock;
  readonly sequencer: FakeSequencer;
  readonly kmsg: FakeKmsg;
  readonly shutdown: AbortController;
  readonly errors: unknown[];
  client(role: Role | null): Client<typeof MachineService>;
  cleanup(): Promise<void>;
}

export function makeFixture(
  overrides: Partial<MachineApiContext> = {},
  options: FixtureApplierOptions = {},
): Fixture {
  const dir = mkdtempSync(join(tmpdir(), "bronze-api-"));
  const procRoot = join(dir, "proc");
  const filesRoot = join(dir, "files");
  mkdirSync(join(procRoot, "self"), { recursive: true });
  mkdirSync(filesRoot);
  const supervisor = new Supervisor({ stopGraceMs: 2000 });
  const store = new ConfigStore(join(dir, "state"));
  const clock = new FakeClock();
  const sequencer = new FakeSequencer();
  const kmsg = new FakeKmsg();
  const errors: unknown[] = [];
  const shutdown = new AbortController();
  const state = newNodeState();
  if (options.maintenance === true) recordMaintenance(state, "no config");
  const hostnames: string[] = [];
  const lines: string[] = [];
  const check = options.check ?? sharedCheck;
  const applier = new ConfigApplier({
    platform: options.platform ?? "container",
    args: options.args ?? parseKernelArgs(""),
    state,
    store,
    clock,
    check,
    supervisor,
    services: options.services ?? (() => []),
    persists: options.persists ?? (() => true),
    setHostname: options.setHostname ?? ((name) => hostnames.push(name)),
    ...(options.install === undefined ? {} : { install: options.install }),
    reboot: options.reboot ?? (() => sequencer.reboot()),
    log: (line) => lines.push(line),
    shutdown: shutdown.signal,
    onInternalError: (e) => errors.push(e),
  });
  const ctx: MachineApiContext = {
    supervisor,
    store,
    config: applier,
    check,
    clock,
    sequencer,
    platform: options.platform ?? "container",
    maintenance: () => applier.maintenanceCallsAllowed(),
    hostname: () => "node-1",
    buildSha: "abc123",
    procRoot,
    filesRoot,
    statfs: () => ({ size: 1000n, available: 400n }),
    kmsg,
    ...overrides,
  };
  const service = createMachineService(ctx, {
    shutdown: shutdown.signal,
    onInternalError: (e) => errors.push(e),
  });
  const transport = (role: Role | null) => {
    const setRole: Interceptor = (next) => (req) => {
      if (role !== null) req.header.set(ROLE_HEADER, role);
      return next(req);
    };
    return createRouterTransport((router) => router.service(MachineService, service), {
      router: { interceptors: [authorize(ctx)] },
      transport: { interceptors: [setRole] },
    });
  };
  return {
    ctx,
    dir,
    supervisor,
    store,
    clock,
    sequencer,
    kmsg,
    state,
    applier,
    hostnames,
    lines,
    shutdown,
    errors,
    client: (role) => createClient(MachineService, transport(role)),
    async cleanup() {
      shutdown.abort();
      await supervisor.stopAll({ graceMs: 1000 });
      supervisor.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
