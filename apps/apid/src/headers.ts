// Request headers apid understands besides ROLE_HEADER (from @bronze/api).

/** `x-bronze-node: <address>[:port]`: forward this call to that node's apid. */
export const NODE_HEADER = "x-bronze-node";

/** Set ("1") by apid on a call it forwards to another apid; such a call is never forwarded again. */
export const FORWARDED_HEADER = "x-bronze-forwarded";

/** apid's TCP port. */
export const APID_PORT = 50000;
