// The request and response headers of Bronze's API, shared by apid, trustd, machined and osctl.

/** Set by apid on calls it forwards to machined: the caller's verified role (certificate Organization). */
export const ROLE_HEADER = "x-bronze-role";

/**
 * `x-bronze-node: <address>[:port]`: apid forwards the call to that node's apid. apid also sets it
 * on the response of a forwarded call, naming the node that answered.
 */
export const NODE_HEADER = "x-bronze-node";

/** Set ("1") by apid on a call it forwards to another apid; such a call is never forwarded again. */
export const FORWARDED_HEADER = "x-bronze-forwarded";

/** The machine token that trustd requires with a certificate signing request. */
export const TOKEN_HEADER = "x-bronze-token";
