// Who may call what (DESIGN.md §4). Both apid and machined enforce this table: apid before
// forwarding, machined on its socket from the role apid passes in ROLE_HEADER (headers.ts).

/** A client certificate's Organization. */
export type Role = "os:admin" | "os:operator" | "os:reader" | "os:impersonator";

export const ROLES: readonly Role[] = ["os:admin", "os:operator", "os:reader", "os:impersonator"];

const M = "/bronze.machine.v1.MachineService/";

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
  [`${M}Bootstrap`]: ADMIN,
  [`${M}EtcdMembers`]: READ,
  // A snapshot holds every secret of the cluster.
  [`${M}EtcdSnapshot`]: ADMIN,
  [`${M}Kubeconfig`]: ADMIN,
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may call `method` (a procedure path); methods without a rule are admin-only. */
export function isAllowed(method: string, role: Role): boolean {
  const allowed = Object.hasOwn(METHOD_ROLES, method) ? METHOD_ROLES[method] : ADMIN;
  return allowed?.includes(role) ?? false;
}
