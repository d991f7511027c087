import type { ServiceInfo } from "@bronze/api";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServiceStatus } from "../../supervisor/service.ts";
import { describeExit } from "../../supervisor/service.ts";
import type { Supervisor } from "../../supervisor/supervisor.ts";
import { toConnectError } from "../api-errors.ts";
import { requireServiceId } from "../caller-input.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

export function toServiceInfo(status: ServiceStatus): Omit<ServiceInfo, "$typeName"> {
  return {
    id: status.id,
    state: status.state,
    message: status.message,
    since: timestampFromMs(status.since),
    health:
      status.health === undefined
        ? undefined
        : {
            $typeName: "bronze.machine.v1.ServiceHealth",
            unknown: status.health.healthy === undefined,
            healthy: status.health.healthy === true,
            lastMessage: status.health.message,
            lastChange: timestampFromMs(status.health.lastChange),
          },
    up: status.up,
    pid: status.pid ?? 0,
    runs: status.runs,
    lastExit: status.lastExit === undefined ? "" : describeExit(status.lastExit),
    dependsOn: [...status.dependsOn],
    runner: status.runner,
  };
}

/**
 * The services that keep the node reachable over the network, and why. None of them can be stopped
 * over the API, by any role (as with Talos, where machined, apid, containerd, trustd... have no
 * APIStopAllowed): stopped, nothing could start them again short of a reboot from the console. A
 * restart stays allowed: it comes back by itself. trustd (control planes) may be stopped, unlike on
 * Talos: the node stays reachable, ServiceStart brings it back, and stopping it is how an operator
 * stops certificates being signed (a leaked token) until the token is changed.
 */
export const KEEPS_NODE_REACHABLE: Readonly<Record<string, string>> = {
  machined: "it serves the machine API",
  apid: "it is the machine API's only way in from the network",
  containerd: "apid runs in it",
  pki: "it issues and renews apid's certificates",
};

/**
 * Why `id` may not be stopped over the API: it keeps the node reachable, or one of those services
 * depends on it (directly or not: stopping it would hold that one back at its next start).
 */
export function stopRefusal(supervisor: Pick<Supervisor, "list">, id: string): string | undefined {
  if (Object.hasOwn(KEEPS_NODE_REACHABLE, id)) return KEEPS_NODE_REACHABLE[id];
  const dependsOn = new Map(supervisor.list().map((s) => [s.id, s.dependsOn]));
  for (const root of Object.keys(KEEPS_NODE_REACHABLE)) {
    const seen = new Set<string>();
    const pending = [...(dependsOn.get(root) ?? [])];
    for (let dep = pending.pop(); dep !== undefined; dep = pending.pop()) {
      if (dep === id) return `${root} depends on it, and ${KEEPS_NODE_REACHABLE[root]}`;
      if (seen.has(dep)) continue;
      seen.add(dep);
      pending.push(...(dependsOn.get(dep) ?? []));
    }
  }
  return undefined;
}

export function serviceHandlers(
  supervisor: Supervisor,
): Pick<MachineServiceImpl, "serviceList" | "serviceStart" | "serviceStop" | "serviceRestart"> {
  return {
    serviceList: () => ({ services: supervisor.list().map(toServiceInfo) }),
    serviceStart: (req) => {
      const id = requireServiceId(req.id, "ServiceStart");
      try {
        const started = supervisor.start(id);
        return { resp: started ? `Service "${id}" started` : `Service "${id}" is already running` };
      } catch (error) {
        throw toConnectError(error, `starting service ${id}`);
      }
    },
    serviceStop: async (req) => {
      const id = requireServiceId(req.id, "ServiceStop");
      const refusal = supervisor.has(id) ? stopRefusal(supervisor, id) : undefined;
      if (refusal !== undefined) {
        throw new ConnectError(
          `ServiceStop: service "${id}" keeps this node reachable (${refusal}): stopped, only a reboot ` +
            "from the console would bring it back; it cannot be stopped over the API (ServiceRestart can restart it)",
          Code.FailedPrecondition,
        );
      }
      try {
        await supervisor.stop(id);
        return { resp: `Service "${id}" stopped` };
      } catch (error) {
        throw toConnectError(error, `stopping service ${id}`);
      }
    },
    serviceRestart: async (req) => {
      const id = requireServiceId(req.id, "ServiceRestart");
      try {
        await supervisor.restart(id);
        return { resp: `Service "${id}" restarted` };
      } catch (error) {
        throw toConnectError(error, `restarting service ${id}`);
      }
    },
  };
}
