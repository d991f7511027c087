import type { Role } from "@bronze/api";
import { type ContextValues, createContextKey, type HandlerContext } from "@connectrpc/connect";

/** The caller's role, set by the authorize interceptor for the handlers that depend on it. */
export const ROLE_KEY = createContextKey<Role | undefined>(undefined, { description: "bronze caller role" });

export function callerRole(ctx: HandlerContext): Role | undefined {
  return callerRoleOf(ctx.values);
}

/** The same, from an interceptor's request (its contextValues). */
export function callerRoleOf(values: ContextValues): Role | undefined {
  return values.get(ROLE_KEY);
}

/** Set by the authorize interceptor on calls the maintenance apid forwards (os:maintenance). */
export const MAINTENANCE_CALL_KEY = createContextKey<boolean>(false, {
  description: "a call of the maintenance apid (no client certificate)",
});

/** Whether the caller is the maintenance apid's unauthenticated one (it has no certificate role). */
export function isMaintenanceCall(ctx: HandlerContext): boolean {
  return ctx.values.get(MAINTENANCE_CALL_KEY);
}
