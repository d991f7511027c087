import { type ApplyConfigurationResponse, ApplyMode } from "@bronze/api";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  ConfigApplyError,
  type ConfigApplyErrorCode,
  type ApplyMode as ConfigApplyMode,
} from "../../config/config-apply.ts";
import { ConfigWorkerError } from "../../config/config-worker-client.ts";
import { toConnectError } from "../api-errors.ts";
import type { MachineApiContext } from "../context.ts";
import { callerRole, isMaintenanceCall } from "../role-context.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

type Deps = Pick<MachineApiContext, "store" | "config" | "check">;

const MODES: Record<number, ConfigApplyMode> = {
  [ApplyMode.AUTO]: "auto",
  [ApplyMode.NO_REBOOT]: "no-reboot",
  [ApplyMode.STAGED]: "staged",
  [ApplyMode.TRY]: "try",
};

const CODES: Record<ConfigApplyErrorCode, Code> = {
  Invalid: Code.InvalidArgument,
  Refused: Code.FailedPrecondition,
  NoSpace: Code.ResourceExhausted,
  Storage: Code.Internal,
  ApplyFailed: Code.Internal,
  RebootRefused: Code.FailedPrecondition,
};

/** ConfigApplyError to its Connect code; the message says what was refused and why. */
function toApplyError(error: unknown): ConnectError {
  if (error instanceof ConfigApplyError) {
    const message = error.code === "Invalid" ? error.message : `ApplyConfiguration: ${error.message}`;
    return new ConnectError(message, CODES[error.code], undefined, undefined, error);
  }
  return toConnectError(error, "ApplyConfiguration");
}

/**
 * GetConfiguration (redacted for every role but os:admin) and ApplyConfiguration, which only maps the
 * request to the config applier (config/config-apply.ts) and its errors to Connect codes.
 */
export function configurationHandlers(
  ctx: Deps,
  _options: HandlerOptions,
): Pick<MachineServiceImpl, "getConfiguration" | "applyConfiguration"> {
  return {
    getConfiguration: async (_req, hctx) => {
      const text = ctx.store.current() ?? "";
      if (callerRole(hctx) === "os:admin" || text === "") {
        return { data: new TextEncoder().encode(text), redacted: false };
      }
      try {
        // In the config worker: a config in force of a megabyte takes ~0.1 s to parse (issue 10).
        return { data: new TextEncoder().encode(await ctx.check.redact(text)), redacted: true };
      } catch (error) {
        if (error instanceof ConfigWorkerError) throw new ConnectError(error.message, Code.Internal);
        throw toConnectError(error, "redacting the config");
      }
    },

    applyConfiguration: async (req, hctx) => {
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(req.data);
      } catch {
        throw new ConnectError("ApplyConfiguration: the config is not valid UTF-8", Code.InvalidArgument);
      }
      const apiMode = req.mode === ApplyMode.UNSPECIFIED ? ApplyMode.AUTO : req.mode;
      const mode = MODES[apiMode];
      if (mode === undefined) {
        throw new ConnectError(`ApplyConfiguration: unknown mode ${req.mode}`, Code.InvalidArgument);
      }
      // The maintenance apid's callers are not authenticated (roles.ts: os:maintenance).
      const caller = isMaintenanceCall(hctx) ? "maintenance" : "authenticated";
      try {
        const outcome = await ctx.config.apply({
          text,
          mode,
          dryRun: req.dryRun,
          caller,
          ...(req.tryTimeout === undefined ? {} : { tryTimeoutMs: durationMs(req.tryTimeout) }),
        });
        const reply: Omit<ApplyConfigurationResponse, "$typeName"> = {
          mode: apiMode,
          modeDetails: outcome.modeDetails,
          warnings: [...outcome.warnings],
          diff: outcome.diff,
          dryRun: outcome.dryRun,
        };
        return reply;
      } catch (error) {
        throw toApplyError(error);
      }
    },
  };
}
