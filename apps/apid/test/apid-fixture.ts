// Two apids (a control plane with an impersonator certificate, a worker without), each in front of
// its own machined stand-in, on real TLS ports of 127.0.0.1; and clients with any certificate.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MachineService } from "@bronze/api";
import type { CertificateAndKey } from "@bronze/pki";
import { type Client, createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { type Apid, startApid } from "../src/apid-server.ts";
import { type MachinedStandIn, startMachinedStandIn } from "./machined-stand-in.ts";
import { makePki, type PkiFixture, writePkiDir } from "./pki-fixture.ts";

export type Protocol = "grpc" | "connect" | "grpc-web";

export interface ApidFixture {
  dir: string;
  pki: PkiFixture;
  cp: Apid;
  worker: Apid;
  cpMachined: MachinedStandIn;
  workerMachined: MachinedStandIn;
  cpPkiDir: string;
  /** The control plane apid's log lines (audit lines among them). */
  cpLog: string[];
  logDir: string;
  filesRoot: string;
  /** A MachineService client of `apid` presenting `cert` (or none). */
  client(apid: Apid, cert: CertificateAndKey | undefined, protocol?: Protocol): Client<typeof MachineService>;
  close(): Promise<void>;
}

export async function startApidFixture(): Promise<ApidFixture> {
  const dir = mkdtempSync(join(tmpdir(), "apid-test-"));
  const pki = await makePki();
  const logDir = join(dir, "log");
  const filesRoot = join(dir, "files");
  mkdirSync(logDir);
  mkdirSync(join(filesRoot, "etc"), { recursive: true });
  writeFileSync(join(filesRoot, "etc", "hosts"), "127.0.0.1 localhost\n");
  writeFileSync(join(logDir, "echo.log"), "first line\nsecond line\n");

  const cpMachined = await startMachinedStandIn({
    socketPath: join(dir, "cp.sock"),
    logDir,
    filesRoot,
    hostname: "cp-1",
  });
  const workerMachined = await startMachinedStandIn({
    socketPath: join(dir, "worker.sock"),
    logDir,
    filesRoot,
    hostname: "worker-1",
  });
  const cpPkiDir = join(dir, "pki-cp");
  const workerPkiDir = join(dir, "pki-worker");
  writePkiDir(cpPkiDir, { ca: pki.ca, server: pki.server, impersonator: pki.impersonator });
  writePkiDir(workerPkiDir, { ca: pki.ca, server: pki.workerServer });
  // The worker first: the control plane forwards only to apid's port, which is the worker's here.
  const worker = await startApid({
    host: "127.0.0.1",
    port: 0,
    machinedSocket: workerMachined.socketPath,
    mode: { kind: "secure", pkiDir: workerPkiDir },
    closeGraceMs: 500,
  });
  const cpLog: string[] = [];
  const cp = await startApid({
    host: "127.0.0.1",
    port: 0,
    machinedSocket: cpMachined.socketPath,
    mode: { kind: "secure", pkiDir: cpPkiDir, pollMs: 200 },
    closeGraceMs: 500,
    apidPort: worker.port,
    log: (line) => cpLog.push(line),
  });

  const managers: Http2SessionManager[] = [];
  return {
    dir,
    pki,
    cp,
    worker,
    cpMachined,
    workerMachined,
    cpPkiDir,
    cpLog,
    logDir,
    filesRoot,
    client(apid, cert, protocol = "grpc") {
      const baseUrl = `https://127.0.0.1:${apid.port}`;
      const nodeOptions = { ca: pki.ca.crt, cert: cert?.crt, key: cert?.key };
      const sessionManager = new Http2SessionManager(baseUrl, undefined, nodeOptions);
      managers.push(sessionManager);
      const transport =
        protocol === "grpc"
          ? createGrpcTransport({ baseUrl, sessionManager })
          : protocol === "connect"
            ? createConnectTransport({ baseUrl, httpVersion: "2", sessionManager, useBinaryFormat: false })
            : createGrpcWebTransport({ baseUrl, httpVersion: "2", sessionManager });
      return createClient(MachineService, transport);
    },
    async close() {
      for (const m of managers) m.abort();
      await Promise.all([cp.close(), worker.close()]);
      await Promise.all([cpMachined.close(), workerMachined.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
