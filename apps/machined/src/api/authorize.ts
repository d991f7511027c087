import { authorizeRoleHeader, isRole, MAINTENANCE_ROLE, ROLE_HEADER } from "@bronze/api";
import type { Interceptor } from "@connectrpc/connect";
import type { MachineApiContext } from "./context.ts";
import { MAINTENANCE_CALL_KEY, ROLE_KEY } from "./role-context.ts";

/**
 * Enforces the role table on every call. The role comes from the ROLE_HEADER that apid sets after
 * verifying the client certificate; the socket is root:apid 0660 (api-server.ts), so only machined
 * and apid's container can set it. The maintenance apid marks its calls os:maintenance: they are
 * served only while the node is in maintenance mode (`context.maintenance()`), for the maintenance
 * methods only, so that a maintenance apid outliving maintenance mode can do nothing.
 */
export function authorize(context: Pick<MachineApiContext, "maintenance">): Interceptor {
  return (next) => async (req) => {
    const method = `/${req.service.typeName}/${req.method.name}`;
    const role = authorizeRoleHeader(method, req.header.get(ROLE_HEADER), () => context.maintenance());
    // Handlers see a certificate's role; a maintenance call has none (it is never os:admin), and is
    // marked as such (ApplyConfiguration then never shows it a stored config).
    if (isRole(role)) req.contextValues.set(ROLE_KEY, role);
    else if (role === MAINTENANCE_ROLE) req.contextValues.set(MAINTENANCE_CALL_KEY, true);
    return next(req);
  };
}
