import { isAllowed, isRole, ROLE_HEADER } from "@bronze/api";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ROLE_KEY } from "./role-context.ts";

/**
 * Enforces the role table on every call. The role comes from the ROLE_HEADER that apid sets after
 * verifying the client certificate; the socket is 0600, so only root (apid, machined) can set it.
 */
export const authorize: Interceptor = (next) => async (req) => {
  const method = `/${req.service.typeName}/${req.method.name}`;
  const role = req.header.get(ROLE_HEADER);
  if (role === null || role === "") {
    throw new ConnectError(`${method}: missing ${ROLE_HEADER} header`, Code.Unauthenticated);
  }
  if (!isRole(role)) {
    throw new ConnectError(`${method}: unknown role ${JSON.stringify(role)}`, Code.Unauthenticated);
  }
  if (!isAllowed(method, role)) {
    throw new ConnectError(`${role} may not call ${method}`, Code.PermissionDenied);
  }
  req.contextValues.set(ROLE_KEY, role);
  return next(req);
};
