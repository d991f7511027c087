// Clients nobody here wrote: curl with the Connect protocol (JSON), and @grpc/grpc-js over gRPC.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BRONZE_VERSION,
  type LogsRequest,
  LogsRequestSchema,
  type LogsResponse,
  LogsResponseSchema,
  type VersionRequest,
  VersionRequestSchema,
  type VersionResponse,
  VersionResponseSchema,
} from "@bronze/api";
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { type ApidFixture, startApidFixture } from "./apid-fixture.ts";

let f: ApidFixture;

beforeAll(async () => {
  f = await startApidFixture();
  for (const name of ["ca", "reader", "admin"] as const) {
    writeFileSync(join(f.dir, `${name}.crt`), f.pki[name].crt);
    writeFileSync(join(f.dir, `${name}.key`), f.pki[name].key);
  }
});

afterAll(async () => {
  await f?.close();
});

async function curl(method: string, cert: "reader" | "admin" | undefined, body = "{}") {
  const auth =
    cert === undefined ? [] : ["--cert", join(f.dir, `${cert}.crt`), "--key", join(f.dir, `${cert}.key`)];
  // Asynchronous: apid runs in this process and must keep serving while curl waits.
  const proc = Bun.spawn(
    [
      "curl",
      "--http2",
      "-sS",
      "-w",
      "\n%{http_code}",
      ...auth,
      "--cacert",
      join(f.dir, "ca.crt"),
      "-H",
      "content-type: application/json",
      "-d",
      body,
      `https://127.0.0.1:${f.cp.port}/bronze.machine.v1.MachineService/${method}`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const cut = out.lastIndexOf("\n");
  return { exitCode, status: out.slice(cut + 1), body: out.slice(0, cut), err };
}

test("curl with a client certificate and Connect JSON gets Version", async () => {
  const r = await curl("Version", "reader");
  expect(r.err).toBe("");
  expect(r.status).toBe("200");
  const json = JSON.parse(r.body);
  expect(json.version.tag).toBe(BRONZE_VERSION);
  expect(json.platform).toBe("container");
});

test("curl: a reader rebooting is a 403 naming method and role; no certificate fails the handshake", async () => {
  const r = await curl("Reboot", "reader");
  expect(r.status).toBe("403");
  expect(JSON.parse(r.body)).toEqual({
    code: "permission_denied",
    message: "os:reader may not call /bronze.machine.v1.MachineService/Reboot",
  });
  const none = await curl("Version", undefined);
  expect(none.exitCode).not.toBe(0);
  expect(none.status).toBe("000");
});

function method<I extends DescMessage, O extends DescMessage>(
  name: string,
  input: I,
  output: O,
  stream: boolean,
) {
  return {
    path: `/bronze.machine.v1.MachineService/${name}`,
    requestStream: false,
    responseStream: stream,
    requestSerialize: (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
    requestDeserialize: (b: Buffer) => fromBinary(input, b),
    responseSerialize: (m: MessageShape<O>) => Buffer.from(toBinary(output, m)),
    responseDeserialize: (b: Buffer) => fromBinary(output, b),
  };
}

function grpcClient(cert: "reader" | "admin") {
  const Client = grpc.makeGenericClientConstructor(
    {
      Version: method("Version", VersionRequestSchema, VersionResponseSchema, false),
      Logs: method("Logs", LogsRequestSchema, LogsResponseSchema, true),
    },
    "MachineService",
  );
  const credentials = grpc.credentials.createSsl(
    Buffer.from(f.pki.ca.crt),
    Buffer.from(f.pki[cert].key),
    Buffer.from(f.pki[cert].crt),
  );
  // Bun's TLS refuses an IP address as SNI server name, which grpc-js sends for an IP target.
  return new Client(`127.0.0.1:${f.cp.port}`, credentials, {
    "grpc.ssl_target_name_override": "localhost",
  }) as unknown as grpc.Client & {
    Version(req: VersionRequest, cb: (err: grpc.ServiceError | null, res?: VersionResponse) => void): void;
    Logs(req: LogsRequest): grpc.ClientReadableStream<LogsResponse>;
  };
}

test("@grpc/grpc-js calls Version and streams Logs over gRPC", async () => {
  const client = grpcClient("reader");
  try {
    const v = await new Promise<VersionResponse | undefined>((resolve, reject) =>
      client.Version(create(VersionRequestSchema), (err, res) => (err ? reject(err) : resolve(res))),
    );
    expect(v?.version?.tag).toBe(BRONZE_VERSION);
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.Logs(create(LogsRequestSchema, { id: "echo" }));
      // Logs carries whole lines of text in bytes chunks.
      stream.on("data", (m: LogsResponse) => lines.push(...Buffer.from(m.data).toString().split("\n")));
      stream.on("error", reject);
      stream.on("end", resolve);
    });
    expect(lines.filter((l) => l !== "")).toEqual(["first line", "second line"]);
  } finally {
    client.close();
  }
});

test("@grpc/grpc-js: an error from machined reaches grpc-js with its code and message", async () => {
  const client = grpcClient("reader");
  try {
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const stream = client.Logs(create(LogsRequestSchema, { id: "nope" }));
      stream.on("data", () => {});
      stream.on("error", resolve);
    });
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe('no service "nope"');
  } finally {
    client.close();
  }
});
