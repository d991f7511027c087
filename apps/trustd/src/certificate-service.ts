import {
  type CertificateRequest,
  type CertificateResponse,
  CertificateResponseSchema,
  normalizePeerAddress,
  type SecurityService,
  TOKEN_HEADER,
} from "@bronze/api";
import { PkiError, signCSR } from "@bronze/pki";
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import { tokenMatches } from "./token.ts";

/** The caller's address (the TCP peer), set by the server for each call. */
export const PEER_ADDRESS_KEY = createContextKey<string | undefined>(undefined, {
  description: "peer address",
});

export interface CertificateServiceOptions {
  /** The OS CA (PEM) that signs. */
  readonly ca: () => { readonly crt: string; readonly key: string };
  /** The machine token. */
  readonly token: () => string;
  /** Names any node may claim besides its own address (e.g. the cluster's certSANs). */
  readonly extraSans?: readonly string[];
  /** Validity of the issued certificates (default 365 days). */
  readonly validityDays?: number;
  readonly now?: () => Date;
}

/**
 * Names every node has for itself. A certificate for them only ever serves a client on the same
 * machine, or one reaching it through a port forward: `osctl cluster create` reaches every QEMU node
 * (workers included, whose certificates trustd signs) through a forward on 127.0.0.1, and the node's
 * own clients use localhost. So any node may claim them: whoever can answer a client on its own
 * loopback is already on that machine.
 */
export const LOOPBACK_SANS: readonly string[] = ["127.0.0.1", "::1", "localhost"];

/**
 * What a node may put in its apid server certificate: the address it calls trustd from, the
 * loopback names, and the extra names every node may claim. Nothing else: a node cannot get a
 * certificate for another node.
 */
export function allowedSansFor(peerAddress: string | undefined, extra: readonly string[] = []): string[] {
  return [
    ...(peerAddress === undefined ? [] : [normalizePeerAddress(peerAddress)]),
    ...LOOPBACK_SANS,
    ...extra,
  ];
}

/**
 * Refuses a call without the machine token. trustd runs it as connect's request gate, before any
 * request byte is read, and the handler runs it again (it never serves a call without the token).
 */
export function requireToken(header: Pick<Headers, "get">, token: string): void {
  const given = header.get(TOKEN_HEADER);
  if (given === null || given === "") {
    throw new ConnectError(`missing ${TOKEN_HEADER} header (the machine token)`, Code.Unauthenticated);
  }
  if (!tokenMatches(token, given)) {
    throw new ConnectError("the machine token is not valid", Code.Unauthenticated);
  }
}

function translate(error: unknown): ConnectError {
  if (error instanceof PkiError) {
    if (error.code === "san-not-allowed") return new ConnectError(error.message, Code.PermissionDenied);
    if (
      error.code === "invalid-csr" ||
      error.code === "invalid-pem" ||
      error.code === "unsupported-algorithm"
    ) {
      return new ConnectError(error.message, Code.InvalidArgument);
    }
  }
  return new ConnectError(`cannot sign: ${(error as Error).message}`, Code.Internal);
}

/**
 * bronze.security.v1.SecurityService: Certificate(CSR) → serverAuth certificate + CA, for the token
 * holder. The request's subject is ignored: the certificate's CN is the caller's address, which it
 * also always carries as an IP SAN (with whatever allowed names the request asks for besides). No
 * client checking a DNS name can then be fooled by a CN: there is always a SAN, and the CN is an address.
 */
export function createCertificateService(
  options: CertificateServiceOptions,
): ServiceImpl<typeof SecurityService> {
  return {
    async certificate(req: CertificateRequest, ctx: HandlerContext): Promise<CertificateResponse> {
      requireToken(ctx.requestHeader, options.token());
      if (req.csr.length === 0) throw new ConnectError("csr: empty", Code.InvalidArgument);
      const peerAddress = ctx.values.get(PEER_ADDRESS_KEY);
      if (peerAddress === undefined) {
        throw new ConnectError(
          "cannot tell the caller's address: nothing to sign for",
          Code.FailedPrecondition,
        );
      }
      const peer = normalizePeerAddress(peerAddress);
      const ca = options.ca();
      let crt: string;
      try {
        crt = await signCSR({
          ca,
          csrPem: new TextDecoder().decode(req.csr),
          usage: "server",
          commonName: peer,
          requiredSans: [peer],
          allowedSans: allowedSansFor(peer, options.extraSans),
          validityDays: options.validityDays,
          now: options.now?.(),
        });
      } catch (error) {
        throw translate(error);
      }
      const encoder = new TextEncoder();
      return create(CertificateResponseSchema, { ca: encoder.encode(ca.crt), crt: encoder.encode(crt) });
    },
  };
}
