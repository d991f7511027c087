// A fake apid for osctl's tests: a MachineService server on 127.0.0.1 with real HTTP/2 over TLS and
// client certificates signed by a fresh OS CA (@bronze/pki), but nothing else of apid. Each test
// supplies its own handlers (their answers are the test's, not machined's), and authorization is a
// re-implementation: the role from the client certificate's Organization, checked with libs/api's
// isAllowed. GenerateClientConfiguration signs with the fixture's CA as a control plane does.
// osctl against the real apid and machined's real API: tests/e2e/contract/.
import { X509Certificate } from "node:crypto";
import http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { isAllowed, isRole, MachineService, type Role } from "@bronze/api";
import { type CertificateAndKey, generateCA, issueCertificate, issueClientCertificate } from "@bronze/pki";
import { durationMs } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  createContextValues,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { stringify } from "yaml";

export const ROLE_KEY = createContextKey<Role | undefined>(undefined, { description: "caller role" });

export interface CallRecord {
  method: string;
  node: string | null;
  role: Role | undefined;
}

export interface FakeApid {
  /** "127.0.0.1:<port>" */
  endpoint: string;
  port: number;
  ca: string;
  /** The OS CA with its key. */
  caAndKey: CertificateAndKey;
  /** Client certificates and keys per role, PEM. */
  clients: Record<"os:admin" | "os:reader" | "os:operator", { crt: string; key: string }>;
  calls: CallRecord[];
  /** SHA-256 fingerprint of the server certificate, as openssl prints it (AB:CD:...). */
  serverFingerprint: string;
  /** The text of an osconfig for a role, with the given endpoints and nodes. */
  osconfig(role: "os:admin" | "os:reader" | "os:operator", endpoints: string[], nodes?: string[]): string;
  close(): Promise<void>;
}

const b64 = (pem: string) => Buffer.from(pem).toString("base64");

function roleOf(socket: TLSSocket | undefined): Role | undefined {
  const subject = socket?.getPeerCertificate?.()?.subject as { O?: string | string[] } | undefined;
  const org = Array.isArray(subject?.O) ? subject?.O[0] : subject?.O;
  return org && isRole(org) ? org : undefined;
}

/** GenerateClientConfiguration signing with `ca`, one role per certificate (as machined does). */
function mintingHandler(ca: CertificateAndKey): Partial<ServiceImpl<typeof MachineService>> {
  const enc = new TextEncoder();
  return {
    async generateClientConfiguration(req) {
      const [role] = req.roles;
      if (role === undefined || req.roles.length > 1 || role === "os:impersonator") {
        throw new ConnectError(
          `roles: expected one client role, got ${req.roles.join(", ")}`,
          Code.InvalidArgument,
        );
      }
      const validityDays = req.crtTtl ? durationMs(req.crtTtl) / 86_400_000 : 365;
      const issued = await issueClientCertificate(ca, { role, validityDays });
      return { ca: enc.encode(ca.crt), crt: enc.encode(issued.crt), key: enc.encode(issued.key) };
    },
  };
}

export async function startFakeApid(
  impl: Partial<ServiceImpl<typeof MachineService>>,
  options: { requireClientCert?: boolean; serverCert?: { crt: string; key: string } } = {},
): Promise<FakeApid> {
  const ca = await generateCA({ commonName: "test-os", organization: "test-os" });
  const server =
    options.serverCert ??
    (await issueCertificate({
      ca,
      commonName: "node",
      usage: "server",
      ipAddresses: ["127.0.0.1"],
      dnsNames: ["localhost"],
    }));
  const [admin, reader, operator] = await Promise.all(
    (["os:admin", "os:reader", "os:operator"] as const).map((role) => issueClientCertificate(ca, { role })),
  );
  const calls: CallRecord[] = [];
  const requireClientCert = options.requireClientCert ?? true;

  const authorize: Interceptor = (next) => async (req) => {
    const method = `/${req.service.typeName}/${req.method.name}`;
    const role = req.contextValues.get(ROLE_KEY);
    calls.push({ method: req.method.name, node: req.header.get("x-bronze-node"), role });
    if (requireClientCert) {
      if (!role) throw new ConnectError("no client certificate role", Code.Unauthenticated);
      if (!isAllowed(method, role))
        throw new ConnectError(`${role} may not call ${req.method.name}`, Code.PermissionDenied);
    }
    return next(req);
  };
  const handler = connectNodeAdapter({
    routes: (router: ConnectRouter) => {
      router.service(MachineService, { ...mintingHandler(ca), ...impl });
    },
    interceptors: [authorize],
    contextValues: (req) => createContextValues().set(ROLE_KEY, roleOf(req.socket as TLSSocket)),
  });
  const srv = http2.createSecureServer(
    requireClientCert
      ? {
          requestCert: true,
          rejectUnauthorized: true,
          ca: ca.crt,
          cert: server.crt,
          key: server.key,
          allowHTTP1: false,
        }
      : { cert: server.crt, key: server.key },
    handler,
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  srv.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.on("error", () => {});
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const clients = {
    "os:admin": admin,
    "os:reader": reader,
    "os:operator": operator,
  } as FakeApid["clients"];
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    ca: ca.crt,
    caAndKey: ca,
    clients,
    calls,
    serverFingerprint: new X509Certificate(server.crt).fingerprint256,
    osconfig: (role, endpoints, nodes = []) =>
      stringify({
        context: "test",
        contexts: {
          test: {
            endpoints,
            nodes,
            ca: b64(ca.crt),
            crt: b64(clients[role].crt),
            key: b64(clients[role].key),
          },
        },
      }),
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}
