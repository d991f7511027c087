import { closeOnAbort } from "./close-on-abort.ts";
import type { MachineApiContext } from "./context.ts";
import { clientConfigurationHandlers } from "./handlers/client-configuration.ts";
import { configurationHandlers } from "./handlers/configuration.ts";
import { containersHandlers } from "./handlers/containers.ts";
import { dmesgHandlers } from "./handlers/dmesg.ts";
import { etcdHandlers } from "./handlers/etcd.ts";
import { eventHandlers } from "./handlers/events.ts";
import { fileHandlers } from "./handlers/files.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handlers/handler-types.ts";
import { lifecycleHandlers } from "./handlers/lifecycle.ts";
import { logHandlers } from "./handlers/logs.ts";
import { powerHandlers } from "./handlers/power.ts";
import { serviceHandlers } from "./handlers/services.ts";
import { statsHandlers } from "./handlers/stats.ts";
import { systemInfoHandlers } from "./handlers/system-info.ts";
import { unimplementedHandlers } from "./handlers/unimplemented.ts";
import { versionHandlers } from "./handlers/version.ts";

/** The whole MachineService over machined's context (the compiler checks that no method is missing). */
export function createMachineService(ctx: MachineApiContext, options: HandlerOptions): MachineServiceImpl {
  const impl: MachineServiceImpl = {
    ...versionHandlers(ctx),
    ...serviceHandlers(ctx.supervisor),
    ...logHandlers(ctx.supervisor, options),
    ...eventHandlers(ctx.supervisor, options),
    ...dmesgHandlers(ctx.kmsg, ctx.clock, options),
    ...systemInfoHandlers(ctx),
    ...fileHandlers(ctx.filesRoot, options),
    ...configurationHandlers(ctx, options),
    ...clientConfigurationHandlers(ctx),
    ...powerHandlers(ctx.sequencer, () => ctx.config.installing()),
    ...containersHandlers(ctx),
    ...statsHandlers(ctx),
    ...lifecycleHandlers(
      ctx.slots,
      () => ctx.config.installing(),
      { planner: ctx.resets, sequencer: ctx.sequencer, wipeDisk: ctx.wipeDisk },
      () => ctx.etcd?.(),
    ),
    ...etcdHandlers(
      () => ctx.etcd?.(),
      () => ctx.etcdAbsence?.() ?? "this node runs no etcd",
    ),
    ...unimplementedHandlers(),
  };
  const end = options.shutdown;
  return {
    ...impl,
    logs: closeOnAbort(impl.logs, end),
    events: closeOnAbort(impl.events, end),
    dmesg: closeOnAbort(impl.dmesg, end),
    list: closeOnAbort(impl.list, end),
    read: closeOnAbort(impl.read, end),
    copy: closeOnAbort(impl.copy, end),
    etcdSnapshot: closeOnAbort(impl.etcdSnapshot, end),
    kubeconfig: closeOnAbort(impl.kubeconfig, end),
  };
}
