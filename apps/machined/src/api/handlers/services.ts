import type { ServiceInfo } from "@bronze/api";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServiceStatus } from "../../supervisor/service.ts";
import { describeExit } from "../../supervisor/service.ts";
import type { Supervisor } from "../../supervisor/supervisor.ts";
import { toConnectError } from "../api-errors.ts";
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

function requireId(id: string, method: string): string {
  if (id === "") throw new ConnectError(`${method}: the service id is required`, Code.InvalidArgument);
  return id;
}

export function serviceHandlers(
  supervisor: Supervisor,
): Pick<MachineServiceImpl, "serviceList" | "serviceStart" | "serviceStop" | "serviceRestart"> {
  return {
    serviceList: () => ({ services: supervisor.list().map(toServiceInfo) }),
    serviceStart: (req) => {
      const id = requireId(req.id, "ServiceStart");
      try {
        const started = supervisor.start(id);
        return { resp: started ? `Service "${id}" started` : `Service "${id}" is already running` };
      } catch (error) {
        throw toConnectError(error, `starting service ${id}`);
      }
    },
    serviceStop: async (req) => {
      const id = requireId(req.id, "ServiceStop");
      try {
        await supervisor.stop(id);
        return { resp: `Service "${id}" stopped` };
      } catch (error) {
        throw toConnectError(error, `stopping service ${id}`);
      }
    },
    serviceRestart: async (req) => {
      const id = requireId(req.id, "ServiceRestart");
      try {
        await supervisor.restart(id);
        return { resp: `Service "${id}" restarted` };
      } catch (error) {
        throw toConnectError(error, `restarting service ${id}`);
      }
    },
  };
}
