import { FORWARDED_HEADER, isAllowed, isRole, NODE_HEADER, ROLE_HEADER, type Role } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { type NodeAddress, parseNodeAddress } from "./node-address.ts";
import type { PeerIdentity } from "./peer-identity.ts";

const M = "/bronze.machine.v1.MachineService/";

/**
 * What a maintenance-mode apid (no config yet, no client certificates) serves, and the role it passes
 * to machined for each: a few read-only calls, and ApplyConfiguration to leave maintenance mode.
 */
export const MAINTENANCE_METHODS: Readonly<Record<string, Role>> = {
  [`${M}Version`]: "os:reader",
  [`${M}Hostname`]: "os:reader",
  [`${M}Memory`]: "os:reader",
  [`${M}Mounts`]: "os:reader",
  [`${M}ApplyConfiguration`]: "os:admin",
};

export type CallTarget =
  | { readonly kind: "machined" }
  | { readonly kind: "node"; readonly node: NodeAddress };

/** Where a call goes and with which role. */
export interface CallDecision {
  readonly role: Role;
  readonly target: CallTarget;
}

export interface AuthorizeCallInput {
  /** Procedure path, "/package.Service/Method". */
  readonly method: string;
  /** The request headers (only get() is used). */
  readonly header: Pick<Headers, "get">;
  /** The client certificate's identity; undefined when the client sent none. */
  readonly peer: PeerIdentity | undefined;
  readonly maintenance: boolean;
  /** Whether this apid has an impersonator certificate (control planes only). */
  readonly canForward: boolean;
}

function denied(message: string): ConnectError {
  return new ConnectError(message, Code.PermissionDenied);
}

/**
 * Decides a call: the caller's role from its certificate (or, from an os:impersonator peer, the role of
 * the call it forwarded), the role table, and whether to serve it locally or forward it to another node.
 * Throws the ConnectError to answer with.
 */
export function authorizeCall(input: AuthorizeCallInput): CallDecision {
  const { method, header } = input;
  const nodeValue = header.get(NODE_HEADER);
  const forwarded = header.get(FORWARDED_HEADER) !== null;

  if (input.maintenance) {
    const role = Object.hasOwn(MAINTENANCE_METHODS, method) ? MAINTENANCE_METHODS[method] : undefined;
    if (role === undefined) {
      throw denied(
        `${method} is not available in maintenance mode (the node has no configuration yet; apply one with ApplyConfiguration)`,
      );
    }
    if (nodeValue !== null) {
      throw new ConnectError(
        `${method}: a node in maintenance mode forwards no calls`,
        Code.FailedPrecondition,
      );
    }
    return { role, target: { kind: "machined" } };
  }

  const peer = input.peer;
  if (peer === undefined) {
    throw new ConnectError(`${method}: a client certificate is required`, Code.Unauthenticated);
  }
  if ("problem" in peer) throw denied(`${method}: ${peer.problem}`);

  if (peer.role === "os:impersonator") {
    const original = header.get(ROLE_HEADER);
    if (!forwarded || original === null) {
      throw denied(`os:impersonator may not call ${method} directly (it only forwards calls between apids)`);
    }
    if (!isRole(original) || original === "os:impersonator") {
      throw denied(`${method}: forwarded call carries an invalid role ${JSON.stringify(original)}`);
    }
    if (nodeValue !== null) {
      throw new ConnectError(
        `${method}: a forwarded call is never forwarded again (it carries ${NODE_HEADER}: ${nodeValue})`,
        Code.FailedPrecondition,
      );
    }
    if (!isAllowed(method, original)) throw denied(`${original} may not call ${method}`);
    return { role: original, target: { kind: "machined" } };
  }

  const role = peer.role;
  if (!isAllowed(method, role)) throw denied(`${role} may not call ${method}`);
  if (nodeValue === null) return { role, target: { kind: "machined" } };
  if (forwarded) {
    throw new ConnectError(
      `${method}: a forwarded call is never forwarded again (it carries ${FORWARDED_HEADER})`,
      Code.FailedPrecondition,
    );
  }
  if (!input.canForward) {
    throw new ConnectError(
      `${method}: this node cannot forward to ${nodeValue}: it has no impersonator certificate (only control-plane nodes forward calls)`,
      Code.FailedPrecondition,
    );
  }
  const node = parseNodeAddress(nodeValue);
  if (typeof node === "string") throw new ConnectError(`${NODE_HEADER}: ${node}`, Code.InvalidArgument);
  return { role, target: { kind: "node", node } };
}
