import { connect } from "node:net";
import { HTTP2_CLIENT_SETTINGS } from "@bronze/api";
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { CallTarget } from "./authorize-call.ts";
import { formatNodeAddress, type NodeAddress } from "./node-address.ts";
import type { CertificateAndKeyPem } from "./pki-files.ts";

/** What apid needs to call another node's apid: the OS CA and its impersonator certificate. */
export interface ForwardingIdentity {
  readonly ca: string;
  readonly impersonator: CertificateAndKeyPem;
}

interface Upstream {
  readonly transport: Transport;
  readonly sessions: Http2SessionManager;
}

/**
 * apid's upstream transports (gRPC over HTTP/2, one kept-alive session each): machined's unix socket,
 * and other nodes' apids over TLS with this node's impersonator certificate.
 */
export class Upstreams {
  readonly #machined: Upstream;
  readonly #nodes = new Map<string, Upstream>();
  #identity: ForwardingIdentity | undefined;

  constructor(machinedSocket: string, identity: ForwardingIdentity | undefined) {
    this.#identity = identity;
    const sessions = new Http2SessionManager("http://localhost", undefined, {
      createConnection: () => connect(machinedSocket),
      settings: HTTP2_CLIENT_SETTINGS,
    });
    this.#machined = {
      sessions,
      transport: createGrpcTransport({
        baseUrl: "http://localhost",
        sessionManager: sessions,
        acceptCompression: [],
      }),
    };
  }

  get machined(): Transport {
    return this.#machined.transport;
  }

  get canForward(): boolean {
    return this.#identity !== undefined;
  }

  /** The transport to a node's apid; undefined when this node has no impersonator certificate. */
  node(address: NodeAddress): Transport | undefined {
    return this.#node(address)?.transport;
  }

  /** The HTTP/2 sessions behind a target's transport (for apid's raw gRPC pass-through). */
  sessions(target: CallTarget): Http2SessionManager | undefined {
    return target.kind === "machined" ? this.#machined.sessions : this.#node(target.node)?.sessions;
  }

  #node(address: NodeAddress): Upstream | undefined {
    const identity = this.#identity;
    if (identity === undefined) return undefined;
    const authority = formatNodeAddress(address);
    let upstream = this.#nodes.get(authority);
    if (upstream === undefined) {
      const baseUrl = `https://${authority}`;
      const sessions = new Http2SessionManager(baseUrl, undefined, {
        ca: identity.ca,
        cert: identity.impersonator.crt,
        key: identity.impersonator.key,
        settings: HTTP2_CLIENT_SETTINGS,
      });
      upstream = {
        sessions,
        transport: createGrpcTransport({ baseUrl, sessionManager: sessions, acceptCompression: [] }),
      };
      this.#nodes.set(authority, upstream);
    }
    return upstream;
  }

  /** New certificates: later forwarded calls open new sessions with them. */
  setIdentity(identity: ForwardingIdentity | undefined): void {
    this.#identity = identity;
    this.#closeNodes();
  }

  close(): void {
    this.#machined.sessions.abort();
    this.#closeNodes();
  }

  #closeNodes(): void {
    for (const upstream of this.#nodes.values()) upstream.sessions.abort();
    this.#nodes.clear();
  }
}
