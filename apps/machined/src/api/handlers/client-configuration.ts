import { type GenerateClientConfigurationResponse, isRole } from "@bronze/api";
import { decodePemBase64, issueClientCertificate, PkiError } from "@bronze/pki";
import { type Duration, durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ConfigWorkerError } from "../../config/config-worker-client.ts";
import type { MachineApiContext } from "../context.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

const METHOD = "GenerateClientConfiguration";
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Bounds of crt_ttl: a minute at least, ten years at most (the OS CA's own default lifetime). */
export const MIN_CLIENT_CRT_TTL_MS = MINUTE_MS;
export const MAX_CLIENT_CRT_TTL_MS = 3650 * DAY_MS;
/** crt_ttl when the request has none: one year, as `osctl gen config` issues. */
export const DEFAULT_CLIENT_CRT_TTL_MS = 365 * DAY_MS;
/** The roles a client certificate may carry; os:impersonator is apid's own, never handed out. */
export const CLIENT_ROLES = ["os:admin", "os:operator", "os:reader"] as const;

type Reply = Omit<GenerateClientConfigurationResponse, "$typeName">;
type Deps = Pick<MachineApiContext, "store" | "platform" | "clock" | "check" | "configInForce">;

function invalid(message: string): ConnectError {
  return new ConnectError(`${METHOD}: ${message}`, Code.InvalidArgument);
}

function refused(message: string): ConnectError {
  return new ConnectError(`${METHOD}: ${message}`, Code.FailedPrecondition);
}

/** The one role asked for; InvalidArgument naming what is wrong otherwise. */
export function requestedRole(roles: readonly string[]): (typeof CLIENT_ROLES)[number] {
  const allowed = CLIENT_ROLES.join(", ");
  for (const role of roles) {
    if (!(CLIENT_ROLES as readonly string[]).includes(role)) {
      const why = isRole(role) ? "is not handed out to clients" : "is not a role";
      throw invalid(`roles: ${JSON.stringify(role)} ${why}; expected one of ${allowed}`);
    }
  }
  const [role] = roles;
  if (role === undefined) throw invalid(`roles: none given; expected one of ${allowed}`);
  if (roles.length > 1) {
    throw invalid(
      `roles: ${roles.length} given (${roles.join(", ")}); a client certificate carries exactly one role`,
    );
  }
  return role as (typeof CLIENT_ROLES)[number];
}

/** crt_ttl in milliseconds within its bounds; the default when absent. */
export function requestedTtlMs(ttl: Duration | undefined): number {
  if (ttl === undefined) return DEFAULT_CLIENT_CRT_TTL_MS;
  const ms = durationMs(ttl);
  if (!Number.isFinite(ms) || ms < MIN_CLIENT_CRT_TTL_MS || ms > MAX_CLIENT_CRT_TTL_MS) {
    throw invalid(`crt_ttl: ${ms / 1000}s is out of bounds; expected 1 minute to 10 years (3650 days)`);
  }
  return ms;
}

/**
 * GenerateClientConfiguration: a new client certificate and key for one role, signed by the OS CA
 * of the machine config in force (`machine.ca`). Only control planes hold the CA key: a worker (or a
 * node without a config) refuses with FailedPrecondition saying why.
 */
export function clientConfigurationHandlers(
  ctx: Deps,
): Pick<MachineServiceImpl, "generateClientConfiguration"> {
  return {
    async generateClientConfiguration(req): Promise<Reply> {
      const role = requestedRole(req.roles);
      const ttlMs = requestedTtlMs(req.crtTtl);
      const text = ctx.store.current();
      if (text === undefined) {
        throw refused("the node has no machine config (maintenance mode): there is no OS CA to sign with");
      }
      // The config in force was validated when it was applied or booted: its parsed form is used as
      // is (a busy control plane's worker took over its 10 s budget to validate it again). Without it,
      // in the config worker: the config in force may be one of the costly ones the schema accepts.
      const machine =
        ctx.configInForce?.()?.machine ??
        (
          await ctx.check.validate(text, ctx.platform).catch((error: unknown) => {
            if (error instanceof ConfigWorkerError)
              throw refused(`cannot read the config in force: ${error.message}`);
            throw error;
          })
        ).config?.machine;
      if (machine === undefined) {
        throw refused("the machine config in force does not validate; cannot read its OS CA (machine.ca)");
      }
      const crtB64 = machine.ca?.crt;
      const keyB64 = machine.ca?.key;
      if (crtB64 === undefined || keyB64 === undefined || keyB64 === "") {
        throw refused(
          `this ${machine.type} node's config has no OS CA key (machine.ca.key): only control-plane nodes can issue client certificates`,
        );
      }
      try {
        const ca = { crt: decodePemBase64(crtB64), key: decodePemBase64(keyB64) };
        const issued = await issueClientCertificate(ca, {
          role,
          validityDays: ttlMs / DAY_MS,
          now: new Date(ctx.clock.now()),
        });
        const enc = new TextEncoder();
        return { ca: enc.encode(ca.crt), crt: enc.encode(issued.crt), key: enc.encode(issued.key) };
      } catch (error) {
        if (error instanceof PkiError) {
          throw new ConnectError(
            `${METHOD}: the OS CA in machine.ca cannot sign: ${error.message}`,
            Code.FailedPrecondition,
            undefined,
            undefined,
            error,
          );
        }
        throw error;
      }
    },
  };
}
