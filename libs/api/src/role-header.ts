// machined's side of the role table: the role apid passed in ROLE_HEADER, checked against the method
// and the node's state. Shared by machined's API server and the stand-ins tests put in its place.
import { Code, ConnectError } from "@connectrpc/connect";
import { ROLE_HEADER } from "./headers.ts";
import { type CallRole, isAllowed, isCallRole, MAINTENANCE_ROLE } from "./roles.ts";

/**
 * The role of a call on machined's socket, or the ConnectError to refuse it with: no role or an
 * unknown one (Unauthenticated), a role the method does not allow (PermissionDenied), or a maintenance
 * call to a node that is no longer in maintenance mode (FailedPrecondition): the maintenance apid may
 * outlive maintenance mode for a moment, and serves anyone.
 */
export function authorizeRoleHeader(
  method: string,
  role: string | null,
  inMaintenance: () => boolean,
): CallRole {
  if (role === null || role === "") {
    throw new ConnectError(`${method}: missing ${ROLE_HEADER} header`, Code.Unauthenticated);
  }
  if (!isCallRole(role)) {
    const shown = role.length > 40 ? `${role.slice(0, 40)}…` : role;
    throw new ConnectError(`${method}: unknown role ${JSON.stringify(shown)}`, Code.Unauthenticated);
  }
  if (!isAllowed(method, role)) {
    throw new ConnectError(`${role} may not call ${method}`, Code.PermissionDenied);
  }
  if (role === MAINTENANCE_ROLE && !inMaintenance()) {
    throw new ConnectError(
      `${method}: refused: the node has left maintenance mode, and calls through its maintenance apid (unauthenticated) are no longer served; use its API with a client certificate`,
      Code.FailedPrecondition,
    );
  }
  return role;
}
