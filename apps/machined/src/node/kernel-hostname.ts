import { splitHostname } from "@bronze/config-schema";
import type { Sys } from "../sys/sys.ts";

/**
 * Gives the kernel a node's name as the reference system does: a fully qualified name is split at its
 * first dot, the first label to sethostname(2) and the rest to setdomainname(2) (each refuses more
 * than 64 bytes; the config schema keeps a label to 63 and a domain to 64).
 */
export function setKernelHostname(sys: Pick<Sys, "sethostname" | "setdomainname">, name: string): void {
  const { hostname, domainname } = splitHostname(name);
  sys.sethostname(hostname);
  sys.setdomainname(domainname);
}
