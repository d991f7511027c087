// apid's audit trail: one line in its log for every privileged call (anything an os:reader may not
// call: configuration, lifecycle, file reads, service control, credentials), allowed or refused.
// Who (role, certificate CN and serial), what (method), where (this node or the one forwarded to),
// and how it ended. Never the request body.
import { type CallRole, isPrivileged } from "@bronze/api";
import { Code } from "@connectrpc/connect";
import type { CallTarget } from "./authorize-call.ts";
import { formatNodeAddress } from "./node-address.ts";
import type { PeerIdentity } from "./peer-identity.ts";

export interface AuditEntry {
  /** Procedure path. */
  readonly method: string;
  /** The role the call ran with; undefined when refused before one was known. */
  readonly role: CallRole | undefined;
  /** The client certificate; undefined without one (maintenance mode). */
  readonly peer: PeerIdentity | undefined;
  /** Set on a call another node's apid forwarded here (the peer is its impersonator certificate). */
  readonly forwarded: boolean;
  /** Where the call went; undefined when refused before it was decided. */
  readonly target: CallTarget | undefined;
  /** The call's status: Code (0 for OK), or "cancelled" when the caller went away. */
  readonly code: Code | 0;
}

/** `ok`, or the status's name (permission_denied, unavailable, ...). */
function outcome(code: Code | 0): string {
  if (code === 0) return "ok";
  return (Code[code] ?? `code_${code}`).replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Values that may hold anything (a certificate's CN) are quoted as JSON strings: one line, no injection. */
const quoted = (value: string) => JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);

/** The audit line of a call, or undefined for a call that is not privileged. */
export function auditLine(entry: AuditEntry): string | undefined {
  if (!isPrivileged(entry.method)) return undefined;
  const peer = entry.peer;
  const fields = [
    `method=${entry.method}`,
    `role=${entry.role ?? "-"}`,
    `cn=${peer?.commonName === undefined ? "-" : quoted(peer.commonName)}`,
    `serial=${peer?.serialNumber ?? "-"}`,
    `node=${entry.target === undefined ? "-" : entry.target.kind === "machined" ? "local" : formatNodeAddress(entry.target.node)}`,
    ...(entry.forwarded ? ["forwarded=yes"] : []),
    `outcome=${outcome(entry.code)}`,
  ];
  return `apid: audit: ${fields.join(" ")}`;
}
