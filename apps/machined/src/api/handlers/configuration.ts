import { type ApplyConfigurationResponse, ApplyMode } from "@bronze/api";
import { ConfigError, formatIssue, redactConfig, validateConfig } from "@bronze/config-schema";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { toConnectError } from "../api-errors.ts";
import { unifiedDiff } from "../config/unified-diff.ts";
import type { MachineApiContext } from "../context.ts";
import { callerRole } from "../role-context.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

/** How long a config applied in try mode stays unless confirmed (Talos's default). */
export const DEFAULT_TRY_TIMEOUT_MS = 60_000;

type Reply = Omit<ApplyConfigurationResponse, "$typeName">;
type Deps = Pick<
  MachineApiContext,
  | "store"
  | "clock"
  | "platform"
  | "onConfigChanged"
  | "requestReboot"
  | "maintenance"
  | "configPersists"
  | "configInstalls"
  | "installing"
>;

const MODE_NAMES: Record<number, string> = {
  [ApplyMode.AUTO]: "auto",
  [ApplyMode.NO_REBOOT]: "no-reboot",
  [ApplyMode.STAGED]: "staged",
  [ApplyMode.TRY]: "try",
};

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

const refuse = (message: string) =>
  new ConnectError(`ApplyConfiguration: ${message}`, Code.FailedPrecondition);

/**
 * The applies that would lose the config or do something other than what was asked: any apply while
 * an install runs; trying or no-reboot for a config that installs (the install is permanent and
 * reboots); on a diskless node, staging, or a reboot the config does not survive.
 */
function refuseUnsafeApply(ctx: Deps, text: string, mode: ApplyMode): void {
  if (ctx.installing?.() === true) {
    throw refuse(
      "an install is running: the node reboots into its disk when it is done; apply the config then",
    );
  }
  const installs = ctx.configInstalls?.(text) === true;
  if (installs && mode === ApplyMode.TRY) {
    throw refuse(
      "this config installs the node to a disk, which cannot be tried and reverted: apply it with --mode auto",
    );
  }
  if (installs && mode === ApplyMode.NO_REBOOT && !ctx.maintenance()) {
    throw refuse(
      "this config installs the node to a disk, which ends in a reboot: apply it with --mode auto",
    );
  }
  if (ctx.configPersists?.() !== false) return;
  const diskless = "this node is diskless: its config lives in memory and is downloaded again at boot, so";
  if (mode === ApplyMode.STAGED) {
    throw refuse(
      `${diskless} a staged config would be lost at the reboot it waits for; apply it with --mode no-reboot (or try), install the node to a disk (machine.install), or change the config the node downloads`,
    );
  }
  if (mode === ApplyMode.AUTO && !installs && !ctx.maintenance()) {
    throw refuse(
      `${diskless} the reboot that auto mode needs would lose it; apply it with --mode no-reboot (or try), install the node to a disk (machine.install), or change the config the node downloads`,
    );
  }
}

/**
 * GetConfiguration (redacted for every role but os:admin) and ApplyConfiguration: validate, diff,
 * then stage, save and apply, save and reboot, or try (revert after a timeout unless another apply
 * confirms it). Applies run one at a time.
 */
export function configurationHandlers(
  ctx: Deps,
  options: HandlerOptions,
): Pick<MachineServiceImpl, "getConfiguration" | "applyConfiguration"> {
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  /** The config on trial and what it replaced, until confirmed or reverted. */
  let trial: { readonly abort: AbortController; readonly previous: string } | undefined;

  const confirmTrial = () => {
    if (trial === undefined) return;
    trial.abort.abort();
    trial = undefined;
    ctx.store.endTrial("commit");
  };

  const startTrial = (previous: string, timeoutMs: number) => {
    const current = { abort: new AbortController(), previous };
    trial = current;
    const signal = AbortSignal.any([current.abort.signal, options.shutdown]);
    ctx.clock
      .sleep(timeoutMs, signal)
      .then((elapsed) => {
        if (!elapsed) return;
        return serialize(async () => {
          if (trial !== current) return; // confirmed meanwhile
          trial = undefined;
          ctx.store.endTrial("revert");
          await ctx.onConfigChanged(previous);
        });
      })
      .catch((error) => options.onInternalError?.(error));
  };

  /** Saves the config and applies it in place; the previous one is kept when that fails. */
  const applyNow = async (text: string, details: string): Promise<string> => {
    confirmTrial();
    const before = ctx.store.current();
    ctx.store.save(text);
    try {
      await ctx.onConfigChanged(text);
    } catch (error) {
      if (before !== undefined) ctx.store.save(before);
      throw toConnectError(error, "could not apply the config without a reboot; the previous config is kept");
    }
    return details;
  };

  const apply = async (text: string, mode: ApplyMode, tryTimeoutMs: number, base: string): Promise<Reply> => {
    const reply = (modeDetails: string): Reply => ({
      mode,
      modeDetails,
      warnings: [],
      diff: "",
      dryRun: false,
    });
    switch (mode) {
      case ApplyMode.STAGED:
        confirmTrial();
        ctx.store.stage(text);
        return reply("Staged: the config applies at the next reboot");
      case ApplyMode.NO_REBOOT:
        return reply(await applyNow(text, "Applied without a reboot"));
      case ApplyMode.TRY: {
        confirmTrial();
        ctx.store.saveForTrial(text);
        try {
          await ctx.onConfigChanged(text);
        } catch (error) {
          ctx.store.endTrial("revert");
          throw toConnectError(error, "could not apply the config in try mode; the previous config is kept");
        }
        startTrial(base, tryTimeoutMs);
        return reply(
          `Applied for ${formatDuration(tryTimeoutMs)}: the previous config comes back unless the config is applied again`,
        );
      }
      default: {
        // A node in maintenance mode has nothing running to restart: it boots on with the config (as
        // Talos does). A reboot would also lose it on a diskless node, which downloads its config again.
        if (ctx.maintenance()) {
          return reply(await applyNow(text, "Applied without a reboot: the node leaves maintenance mode"));
        }
        confirmTrial();
        ctx.store.save(text);
        try {
          await ctx.requestReboot();
        } catch (error) {
          throw toConnectError(
            error,
            "the config is saved but the reboot was refused; it applies at the next reboot",
          );
        }
        return reply("Rebooting to apply the config");
      }
    }
  };

  return {
    getConfiguration: (_req, hctx) => {
      const text = ctx.store.current() ?? "";
      if (callerRole(hctx) === "os:admin" || text === "") {
        return { data: new TextEncoder().encode(text), redacted: false };
      }
      try {
        return { data: new TextEncoder().encode(redactConfig(text)), redacted: true };
      } catch (error) {
        if (error instanceof ConfigError) throw new ConnectError(error.message, Code.Internal);
        throw toConnectError(error, "redacting the config");
      }
    },

    applyConfiguration: async (req) => {
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(req.data);
      } catch {
        throw new ConnectError("ApplyConfiguration: the config is not valid UTF-8", Code.InvalidArgument);
      }
      const mode = req.mode === ApplyMode.UNSPECIFIED ? ApplyMode.AUTO : req.mode;
      if (MODE_NAMES[mode] === undefined) {
        throw new ConnectError(`ApplyConfiguration: unknown mode ${req.mode}`, Code.InvalidArgument);
      }
      const tryTimeoutMs = req.tryTimeout === undefined ? DEFAULT_TRY_TIMEOUT_MS : durationMs(req.tryTimeout);
      if (mode === ApplyMode.TRY && !(tryTimeoutMs > 0)) {
        throw new ConnectError("ApplyConfiguration: try_timeout must be positive", Code.InvalidArgument);
      }
      const result = validateConfig(text, { mode: ctx.platform });
      if (!result.ok) {
        const lines = result.errors.map((issue) => formatIssue(issue));
        throw new ConnectError(
          `invalid machine config (${lines.length} error${lines.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
          Code.InvalidArgument,
        );
      }
      const warnings = result.warnings.map((issue) => formatIssue(issue));
      return serialize(async () => {
        const current = ctx.store.current();
        const staged = mode === ApplyMode.STAGED ? ctx.store.staged() : undefined;
        const base = staged ?? current ?? "";
        const diff = unifiedDiff(base, text, {
          from: staged === undefined ? "current" : "staged",
          to: "new",
        });
        if (req.dryRun) {
          return {
            mode,
            modeDetails: `Dry run (${MODE_NAMES[mode]}): nothing was changed`,
            warnings,
            diff,
            dryRun: true,
          };
        }
        refuseUnsafeApply(ctx, text, mode);
        if (mode === ApplyMode.TRY && current === undefined) {
          throw new ConnectError(
            "ApplyConfiguration: try mode needs a config in force to come back to",
            Code.FailedPrecondition,
          );
        }
        const applied = await apply(text, mode, tryTimeoutMs, current ?? "");
        return { ...applied, warnings, diff };
      });
    },
  };
}
