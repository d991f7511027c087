import type { Role } from "@bronze/api";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/** The caller's role, set by the authorize interceptor for the handlers that depend on it. */
export const ROLE_KEY = createContextKey<Role | undefined>(undefined, { description: "bronze caller role" });

export function callerRole(ctx: HandlerContext): Role | undefined {
  return ctx.values.get(ROLE_KEY);
}
