import { ContainerdClient } from "@bronze/containerd-client";

/**
 * The machine API's deadline on its containerd calls: shorter than a client's own (osctl's), so that a
 * frozen containerd is reported as such ("containerd … did not answer in time") instead of the client
 * giving up on the endpoint.
 */
export const API_CONTAINERD_TIMEOUT_MS = 3_000;

export interface ContainerdConnector {
  /**
   * The shared connection, working in `namespace`, with `timeoutMs` as the default deadline of its calls
   * (the connection's own when omitted). Calls fail with ContainerdError Unavailable while containerd is down.
   */
  client(namespace: string, options?: { timeoutMs?: number }): Promise<ContainerdClient>;
  close(): void;
}

/**
 * One connection to containerd's socket for the machine API, opened on first use (containerd may not
 * be up yet when the API starts) and reused: the lib re-establishes its HTTP/2 session after a
 * containerd restart.
 */
export function containerdConnector(socketPath: string): ContainerdConnector {
  let shared: Promise<ContainerdClient> | undefined;
  let closed = false;
  return {
    async client(namespace, options = {}) {
      if (closed) throw new Error(`the containerd connection to ${socketPath} is closed`);
      shared ??= ContainerdClient.connect({ socketPath, namespace, verify: false });
      const client = (await shared).withNamespace(namespace);
      return options.timeoutMs === undefined ? client : client.withTimeout(options.timeoutMs);
    },
    close() {
      closed = true;
      void shared?.then((c) => c.close()).catch(() => {});
    },
  };
}
