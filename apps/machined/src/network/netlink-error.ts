import { errnoName } from "../sys/sys-error.ts";

/**
 * An rtnetlink request the kernel refused (NLMSG_ERROR with a negative errno). `code` is the errno name;
 * the message names the request: `RTM_NEWADDR 10.0.0.5/24 dev eth0: File exists (EEXIST)`.
 */
export class NetlinkError extends Error {
  override readonly name = "NetlinkError";
  readonly code: string;
  readonly errno: number;
  readonly request: string;

  constructor(request: string, errno: number, description: string) {
    const code = errnoName(errno);
    super(`${request}: ${description} (${code})`);
    this.code = code;
    this.errno = errno;
    this.request = request;
  }
}
