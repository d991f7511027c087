import {
  type CallRole,
  FORWARDED_HEADER,
  isAllowed,
  isRole,
  MAINTENANCE_METHODS,
  MAINTENANCE_ROLE,
  NODE_HEADER,
  ROLE_HEADER,
} from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { forwardingRefusal, type NodeAddress, parseNodeAddress } from "./node-address.ts";
import type { PeerIdentity } from "./peer-identity.ts";

export type CallTarget =
  | { readonly kind: "machined" }
  | { readonly kind: "node"; readonly node: NodeAddress };

/** Where a call goes and with which role. */
export interface CallDecision {
  /** What machined (or the node forwarded to) is told: a certificate's role, or MAINTENANCE_ROLE. */
  readonly role: CallRole;
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
  /** apid's port on every node: the only port calls are forwarded to (and the default of x-bronze-node). */
  readonly apidPort: number;
}

/** A header value in a message: quoted, and cut short (errors never echo the caller's input at length). */
function brief(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
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
    // Every call is passed on as MAINTENANCE_ROLE, which machined refuses once the node has a config:
    // this apid may outlive maintenance mode for a moment, and is unauthenticated.
    if (!MAINTENANCE_METHODS.includes(method)) {
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
    return { role: MAINTENANCE_ROLE, target: { kind: "machined" } };
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
      throw denied(`${method}: forwarded call carries an invalid role ${brief(original)}`);
    }
    if (nodeValue !== null) {
      throw new ConnectError(
        `${method}: a forwarded call is never forwarded again (it carries ${NODE_HEADER}: ${brief(nodeValue)})`,
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
      `${method}: this node cannot forward to ${brief(nodeValue)}: it has no impersonator certificate (only control-plane nodes forward calls)`,
      Code.FailedPrecondition,
    );
  }
  const node = parseNodeAddress(nodeValue, input.apidPort);
  if (typeof node === "string") throw new ConnectError(`${NODE_HEADER}: ${node}`, Code.InvalidArgument);
  const refusal = forwardingRefusal(node, input.apidPort);
  if (refusal !== undefined) throw new ConnectError(`${NODE_HEADER}: ${refusal}`, Code.PermissionDenied);
  return { role, target: { kind: "node", node } };
}
