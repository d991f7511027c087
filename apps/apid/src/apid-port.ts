// apid's TCP port (docs/design.md §1). Its header names (x-bronze-node, x-bronze-forwarded, the role) are
// shared with machined and osctl: they live in @bronze/api.

/** apid's TCP port. */
export const APID_PORT = 50000;
