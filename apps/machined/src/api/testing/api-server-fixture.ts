// Test support for the machine API as apid reaches it: machined's real API server (startApiServer) on a
// unix socket over makeFixture's context, and gRPC clients that share ONE HTTP/2 session, with apid's
// HTTP/2 settings, as apid's upstream to machined does (apps/apid/src/upstreams.ts): what one caller
// does to that session, every other caller feels.
import { connect } from "node:net";
import { join } from "node:path";
import { HTTP2_CLIENT_SETTINGS, MachineService, ROLE_HEADER, type Role } from "@bronze/api";
import { type Client, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { InProcessRunner } from "../../supervisor/runners/in-process-runner.ts";
import type { LogSink } from "../../supervisor/service.ts";
import { type ApiServer, type ApiServerOptions, startApiServer } from "../api-server.ts";
import type { MachineApiContext } from "../context.ts";
import { type Fixture, type FixtureApplierOptions, makeFixture } from "./api-fixture.ts";

export interface ServerFixture {
  readonly f: Fixture;
  readonly server: ApiServer;
  readonly socketPath: string;
  /** The session every client of `client()` shares (apid's one upstream session). */
  readonly sessions: Http2SessionManager;
  /** A client on the shared session that calls as `role`, as apid does after checking a certificate. */
  client(role: Role): Client<typeof MachineService>;
  /**
   * Registers and starts an in-process service that runs until stopped, and returns where its output
   * goes (its log buffer: Logs reads it).
   */
  runService(id: string, dependsOn?: string[]): Promise<LogSink>;
  /** A client on a session of its own (its own HTTP/2 settings), e.g. one that never reads. */
  ownClient(role: Role, settings?: Record<string, number>): Client<typeof MachineService>;
  close(): Promise<void>;
}

function withRole(role: Role): Interceptor {
  return (next) => (req) => {
    req.header.set(ROLE_HEADER, role);
    return next(req);
  };
}

export async function startServerFixture(
  options: {
    context?: Partial<MachineApiContext>;
    /** What the real ConfigApplier is given instead of its defaults (e.g. its config worker). */
    applier?: FixtureApplierOptions;
    server?: Omit<ApiServerOptions, "socketPath" | "context">;
  } = {},
): Promise<ServerFixture> {
  const f = makeFixture(options.context, options.applier);
  const socketPath = join(f.dir, "run", "machine.sock");
  const server = await startApiServer({ socketPath, context: f.ctx, closeGraceMs: 500, ...options.server });
  const own: Http2SessionManager[] = [];
  const sessionsWith = (settings: Record<string, number>) =>
    new Http2SessionManager("http://localhost", undefined, {
      createConnection: () => connect(socketPath),
      settings,
    });
  const sessions = sessionsWith(HTTP2_CLIENT_SETTINGS);
  const clientOn = (manager: Http2SessionManager, role: Role) =>
    createClient(
      MachineService,
      createGrpcTransport({
        baseUrl: "http://localhost",
        sessionManager: manager,
        acceptCompression: [],
        interceptors: [withRole(role)],
      }),
    );
  return {
    f,
    server,
    socketPath,
    sessions,
    client: (role) => clientOn(sessions, role),
    async runService(id, dependsOn = []) {
      let sink: LogSink | undefined;
      f.supervisor.register({
        id,
        dependsOn,
        restart: "forever",
        runner: new InProcessRunner(async ({ signal, log }) => {
          sink = log;
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        }),
      });
      f.supervisor.start(id);
      await f.supervisor.waitFor(id, (s) => s.state === "Running");
      if (sink === undefined) throw new Error(`service ${id} runs without a log`);
      return sink;
    },
    ownClient(role, settings = HTTP2_CLIENT_SETTINGS) {
      const manager = sessionsWith(settings);
      own.push(manager);
      return clientOn(manager, role);
    },
    async close() {
      sessions.abort();
      for (const manager of own) manager.abort();
      await server.close();
      await f.cleanup();
    },
  };
}

/** The ConnectError a call fails with (a test failure when it succeeds). */
export async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

/** Reads a stream to its end, dropping what comes. */
export async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // nothing
  }
}
