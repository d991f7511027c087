// Who may call what (docs/design.md §4): the one home of the role vocabulary. Both apid and machined
// enforce this table: apid before forwarding, machined on its socket from the role apid passes in
// ROLE_HEADER (headers.ts). libs/pki issues client certificates for these roles.

/** A client certificate's Organization. */
export type Role = "os:admin" | "os:operator" | "os:reader" | "os:impersonator";

export const ROLES: readonly Role[] = ["os:admin", "os:operator", "os:reader", "os:impersonator"];

/**
 * The role the maintenance-mode apid (no config, no client certificates) passes to machined for every
 * call it forwards. It is never a certificate's role (not in ROLES: apid refuses a certificate naming
 * it, libs/pki issues none), and machined accepts it only for MAINTENANCE_METHODS and only while the
 * node is in maintenance mode: a maintenance apid that outlives maintenance mode can do nothing.
 */
export const MAINTENANCE_ROLE = "os:maintenance";

/** What apid passes to machined in ROLE_HEADER: a certificate's role, or the maintenance marker. */
export type CallRole = Role | typeof MAINTENANCE_ROLE;

const M = "/bronze.machine.v1.MachineService/";

/**
 * What a node in maintenance mode serves (to anyone: there is no client certificate yet): a few
 * read-only calls, and ApplyConfiguration to leave maintenance mode.
 */
export const MAINTENANCE_METHODS: readonly string[] = [
  `${M}Version`,
  `${M}Hostname`,
  `${M}Memory`,
  `${M}Mounts`,
  `${M}ApplyConfiguration`,
];

/** Read-only, secret-free information: every role but the impersonator. */
const READ: Role[] = ["os:admin", "os:operator", "os:reader"];
/** Reader plus reboot, shutdown and service control. */
const OPERATE: Role[] = ["os:admin", "os:operator"];
/** Everything else: secrets, file reads, config changes, destructive operations. */
const ADMIN: Role[] = ["os:admin"];

/**
 * The explicit rule of every RPC, keyed by procedure path ("/package.Service/Method"). A method
 * without a rule is admin-only (see isAllowed); a test fails when a MachineService method has none.
 * os:impersonator is only ever apid-to-apid: it calls nothing on machined itself.
 */
export const METHOD_ROLES: Readonly<Record<string, readonly Role[]>> = {
  [`${M}Version`]: READ,
  [`${M}Hostname`]: READ,
  [`${M}ServiceList`]: READ,
  [`${M}ServiceStart`]: OPERATE,
  [`${M}ServiceStop`]: OPERATE,
  [`${M}ServiceRestart`]: OPERATE,
  [`${M}Logs`]: READ,
  [`${M}Events`]: READ,
  [`${M}Dmesg`]: READ,
  [`${M}Containers`]: READ,
  [`${M}Processes`]: READ,
  [`${M}Memory`]: READ,
  [`${M}Mounts`]: READ,
  [`${M}Stats`]: READ,
  // File names and contents can carry secrets: no file reads for readers (nor operators).
  [`${M}List`]: ADMIN,
  [`${M}Read`]: ADMIN,
  [`${M}Copy`]: ADMIN,
  // Readers get the config with its secrets redacted.
  [`${M}GetConfiguration`]: READ,
  [`${M}ApplyConfiguration`]: ADMIN,
  // Mints credentials signed by the OS CA: only an admin may hand out access.
  [`${M}GenerateClientConfiguration`]: ADMIN,
  [`${M}Reboot`]: OPERATE,
  [`${M}Shutdown`]: OPERATE,
  [`${M}Reset`]: ADMIN,
  [`${M}Upgrade`]: ADMIN,
  [`${M}Rollback`]: ADMIN,
  [`${M}WipeDisk`]: ADMIN,
  [`${M}Bootstrap`]: ADMIN,
  [`${M}EtcdRecover`]: ADMIN,
  [`${M}EtcdMembers`]: READ,
  // A snapshot holds every secret of the cluster.
  [`${M}EtcdSnapshot`]: ADMIN,
  [`${M}EtcdStatus`]: READ,
  [`${M}EtcdLeaveCluster`]: ADMIN,
  [`${M}EtcdRemoveMember`]: ADMIN,
  [`${M}EtcdForfeitLeadership`]: ADMIN,
  [`${M}EtcdDefragment`]: ADMIN,
  [`${M}EtcdAlarmList`]: READ,
  [`${M}EtcdAlarmDisarm`]: ADMIN,
  [`${M}Kubeconfig`]: ADMIN,
};

/** Whether `value` is a client certificate's role (never MAINTENANCE_ROLE). */
export function isRole(value: unknown): value is Role {
  return (ROLES as readonly unknown[]).includes(value);
}

/** Whether `value` is a role apid may pass to machined: a certificate's role or MAINTENANCE_ROLE. */
export function isCallRole(value: unknown): value is CallRole {
  return value === MAINTENANCE_ROLE || isRole(value);
}

/**
 * Whether `role` may call `method` (a procedure path); methods without a rule are admin-only.
 * MAINTENANCE_ROLE may call MAINTENANCE_METHODS only (and only while the node is in maintenance mode,
 * which is machined's to check).
 */
export function isAllowed(method: string, role: CallRole): boolean {
  if (role === MAINTENANCE_ROLE) return MAINTENANCE_METHODS.includes(method);
  const allowed = Object.hasOwn(METHOD_ROLES, method) ? METHOD_ROLES[method] : ADMIN;
  return allowed?.includes(role) ?? false;
}

/**
 * Whether a call changes the node, reads files or secrets, or mints credentials: every method an
 * os:reader may not call. apid writes an audit line for each such call.
 */
export function isPrivileged(method: string): boolean {
  return !isAllowed(method, "os:reader");
}
