// Hostile requests for the decoder fuzz of the hostile-input bench (issue 10): what a client can put
// on the wire to apid's Connect, gRPC and gRPC-web decoders — content types, protocol headers,
// envelopes whose length lies, truncated frames, compression flags without compression, random
// protobuf and JSON — each aimed at a method and sent with a role. Admins only ever call harmless
// methods (the config they send is never valid, so no mutation can apply it); readers call anything,
// privileged methods included, which must all be refused.
import {
  ApplyConfigurationRequestSchema,
  DmesgRequestSchema,
  HostnameRequestSchema,
  LogsRequestSchema,
  ReadRequestSchema,
  RebootRequestSchema,
  ServiceListRequestSchema,
  VersionRequestSchema,
} from "@bronze/api";
import { create, type DescMessage, type MessageInitShape, toBinary, toJson } from "@bufbuild/protobuf";
import type { Random } from "./seeded-random.ts";

export type WireRole = "admin" | "reader";

export interface WireRequest {
  /** The mutations, for the report (e.g. "grpc/length-longer"). */
  readonly kind: string;
  readonly role: WireRole;
  readonly path: string;
  /** Content type included (may be absent: the header is then missing). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** The method streams its answer (the call may legitimately stay open when a mutation asks to follow). */
  readonly streaming: boolean;
  /** A method a reader may not call: answering it with success is an authorization bypass. */
  readonly privileged: boolean;
  /** Sent over HTTP/1.1 rather than HTTP/2. */
  readonly http1: boolean;
}

const SERVICE = "/bronze.machine.v1.MachineService";
/** A config that can never validate (no type, no CA): no mutation of it applies anything. */
export const INVALID_CONFIG = "version: v1alpha1\nmachine: {}\n";

interface Target {
  readonly method: string;
  readonly schema: DescMessage;
  readonly init: Record<string, unknown>;
  readonly streaming: boolean;
  readonly privileged: boolean;
  readonly roles: readonly WireRole[];
}

const TARGETS: readonly Target[] = [
  {
    method: "Version",
    schema: VersionRequestSchema,
    init: {},
    streaming: false,
    privileged: false,
    roles: ["admin", "reader"],
  },
  {
    method: "Hostname",
    schema: HostnameRequestSchema,
    init: {},
    streaming: false,
    privileged: false,
    roles: ["admin", "reader"],
  },
  {
    method: "ServiceList",
    schema: ServiceListRequestSchema,
    init: {},
    streaming: false,
    privileged: false,
    roles: ["admin", "reader"],
  },
  {
    method: "ApplyConfiguration",
    schema: ApplyConfigurationRequestSchema,
    init: { data: new TextEncoder().encode(INVALID_CONFIG), dryRun: true },
    streaming: false,
    privileged: true,
    roles: ["admin", "reader"],
  },
  {
    method: "Logs",
    schema: LogsRequestSchema,
    init: { id: "apid", tailLines: 5 },
    streaming: true,
    privileged: false,
    roles: ["reader"],
  },
  {
    method: "Dmesg",
    schema: DmesgRequestSchema,
    init: {},
    streaming: true,
    privileged: false,
    roles: ["reader"],
  },
  {
    method: "Read",
    schema: ReadRequestSchema,
    init: { path: "/etc/hosts" },
    streaming: true,
    privileged: true,
    roles: ["reader"],
  },
  {
    method: "Reboot",
    schema: RebootRequestSchema,
    init: {},
    streaming: false,
    privileged: true,
    roles: ["reader"],
  },
];

const CONTENT_TYPES = [
  "application/grpc",
  "application/grpc+proto",
  "application/grpc+json",
  "application/grpc-web",
  "application/grpc-web+proto",
  "application/grpc-web+json",
  "application/grpc-web-text",
  "application/json",
  "application/json; charset=utf-8",
  "application/proto",
  "application/connect+proto",
  "application/connect+json",
  "APPLICATION/GRPC",
  "application/grpc+thrift",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=latin1",
  "",
] as const;

function envelope(flags: number, data: Uint8Array, length = data.length): Uint8Array {
  const out = new Uint8Array(5 + data.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, length >>> 0);
  out.set(data, 5);
  return out;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A protobuf message body, valid or mutated: flipped bytes, lying lengths, unknown fields, random bytes. */
function protoBody(valid: Uint8Array, r: Random): { kind: string; data: Uint8Array } {
  switch (r.int(7)) {
    case 0:
      return { kind: "proto-valid", data: valid };
    case 1: {
      const out = concat(valid, r.bytes(4));
      for (let i = r.between(1, 4); i > 0; i--) out[r.int(out.length)] = r.int(256);
      return { kind: "proto-flipped", data: out };
    }
    case 2:
      // A length-delimited unknown field claiming far more bytes than follow.
      return {
        kind: "proto-lying-length",
        data: concat(valid, new Uint8Array([0x7a, ...varint(r.pick([2 ** 31, 2 ** 28, 1000]))]), r.bytes(8)),
      };
    case 3:
      // A varint that never ends; a group that is never closed.
      return {
        kind: "proto-bad-varint",
        data: concat(
          valid,
          new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        ),
      };
    case 4:
      return { kind: "proto-open-group", data: concat(valid, new Uint8Array([0x0b, 0x10, 0x01])) };
    case 5:
      return {
        kind: "proto-many-unknown",
        data: concat(
          valid,
          ...Array.from(
            { length: r.pick([10, 1000, 20_000]) },
            (_, i) => new Uint8Array([0xf8, 0x07, i & 0x7f]),
          ),
        ),
      };
    default:
      return { kind: "proto-random", data: r.bytes(r.pick([0, 1, 7, 100, 4096, 65_536])) };
  }
}

/** A JSON body, valid or hostile: deep nesting, wrong types, unknown fields, bad base64, broken text. */
function jsonBody(valid: string, r: Random): { kind: string; data: Uint8Array } {
  const enc = (s: string) => new TextEncoder().encode(s);
  switch (r.int(12)) {
    case 0:
      return { kind: "json-valid", data: enc(valid) };
    case 1: {
      const depth = r.pick([100, 10_000, 200_000]);
      return { kind: `json-deep-${depth}`, data: enc(`${"[".repeat(depth)}${"]".repeat(depth)}`) };
    }
    case 2:
      return {
        kind: "json-wrong-types",
        data: enc(
          '{"id": 5, "follow": "yes", "tailLines": "x", "data": 12, "dryRun": "maybe", "mode": "REBOOT"}',
        ),
      };
    case 3:
      return {
        kind: "json-unknown-fields",
        data: enc(
          `{"nope": 1, "__proto__": {"dryRun": false}, "constructor": {"x": 1}${valid.length > 2 ? `, ${valid.slice(1, -1)}` : ""}}`,
        ),
      };
    case 4:
      return { kind: "json-bad-base64", data: enc('{"data": "!!!not base64 ===", "dryRun": true}') };
    case 5:
      return {
        kind: "json-huge-number",
        data: enc(`{"tailLines": 1${"0".repeat(r.pick([20, 400, 10_000]))}}`),
      };
    case 6:
      return { kind: "json-truncated", data: enc(valid.slice(0, r.int(Math.max(1, valid.length)))) };
    case 7:
      return {
        kind: "json-invalid-utf8",
        data: concat(enc('{"id": "'), new Uint8Array([0xc3, 0x28, 0xff]), enc('"}')),
      };
    case 8:
      return { kind: "json-whitespace", data: enc(`${" ".repeat(r.pick([1000, 1_000_000]))}{}`) };
    case 9:
      return {
        kind: "json-duplicate-keys",
        data: enc('{"id": "apid", "id": "machined", "dryRun": true, "dryRun": false}'),
      };
    case 10:
      return { kind: "json-not-object", data: enc(r.pick(["[]", "null", '"x"', "1", "true", ""])) };
    default:
      return { kind: "json-random", data: r.bytes(r.pick([1, 50, 2000])) };
  }
}

/** The body for a content type: enveloped (gRPC, gRPC-web, Connect streaming) or bare (Connect unary). */
function bodyFor(contentType: string, target: Target, streamingConnect: boolean, r: Random) {
  const message = create(target.schema, target.init as MessageInitShape<DescMessage>);
  const validProto = toBinary(target.schema, message);
  const validJson = JSON.stringify(toJson(target.schema, message));
  const type = contentType.toLowerCase();
  const json = type.includes("json");
  const inner = json ? jsonBody(validJson, r) : protoBody(validProto, r);
  const enveloped = type.startsWith("application/grpc") || type.startsWith("application/connect+");
  if (!enveloped) {
    // Connect unary, or a type nobody serves: the message as it is, or random bytes.
    return r.chance(0.85) ? inner : { kind: "random", data: r.bytes(r.pick([0, 10, 5000])) };
  }
  const data = inner.data;
  const e = r.int(10);
  let framed: { kind: string; body: Uint8Array };
  if (e === 0)
    framed = {
      kind: "length-longer",
      body: envelope(0, data, data.length + r.pick([1, 100, 2 ** 20, 2 ** 31])),
    };
  else if (e === 1)
    framed = { kind: "length-shorter", body: envelope(0, data, Math.max(0, data.length - r.between(1, 5))) };
  else if (e === 2)
    framed = { kind: "truncated-header", body: envelope(0, data).subarray(0, r.between(0, 4)) };
  else if (e === 3) framed = { kind: "compressed-flag", body: envelope(1, data) };
  else if (e === 4) framed = { kind: `flags-${e}`, body: envelope(r.pick([0x02, 0x80, 0x7f, 0xff]), data) };
  else if (e === 5) framed = { kind: "two-envelopes", body: concat(envelope(0, data), envelope(0, data)) };
  else if (e === 6) framed = { kind: "empty-body", body: new Uint8Array() };
  else if (e === 7)
    framed = { kind: "trailing-garbage", body: concat(envelope(0, data), r.bytes(r.between(1, 4))) };
  else framed = { kind: "well-framed", body: envelope(0, data) };
  if (streamingConnect && framed.kind === "well-framed" && r.chance(0.5)) {
    // A Connect streaming request's end-of-stream message after the request.
    framed = {
      kind: "with-end-stream",
      body: concat(framed.body, envelope(0x02, new TextEncoder().encode("{}"))),
    };
  }
  if (type === "application/grpc-web-text") {
    const text = r.chance(0.8) ? Buffer.from(framed.body).toString("base64") : "%%% not base64 ===";
    return { kind: `${inner.kind}/${framed.kind}/base64`, data: new TextEncoder().encode(text) };
  }
  return { kind: `${inner.kind}/${framed.kind}`, data: framed.body };
}

/** Protocol headers, valid or not: versions, encodings, timeouts, spoofed Bronze headers, junk. */
function extraHeaders(r: Random): Record<string, string> {
  const h: Record<string, string> = {};
  if (r.chance(0.5)) h["connect-protocol-version"] = r.pick(["1", "1", "2", "x", ""]);
  if (r.chance(0.2))
    h["grpc-encoding"] = r.pick(["gzip", "br", "identity", "zstd", "deflate", "x".repeat(500)]);
  if (r.chance(0.1)) h["content-encoding"] = r.pick(["gzip", "br", "identity", "compress"]);
  if (r.chance(0.1)) h["connect-content-encoding"] = r.pick(["gzip", "identity", "nope"]);
  if (r.chance(0.2))
    h["grpc-timeout"] = r.pick(["1n", "5S", "99999999H", "-1S", "garbage", "0m", "100000000m"]);
  if (r.chance(0.1)) h["connect-timeout-ms"] = r.pick(["0", "-5", "99999999999", "abc", "10"]);
  if (r.chance(0.7)) h.te = "trailers";
  if (r.chance(0.05)) h["x-bronze-role"] = "os:admin";
  if (r.chance(0.05)) h["x-bronze-forwarded"] = "1";
  if (r.chance(0.05))
    h["x-bronze-node"] = r.pick(["", "::::", "a".repeat(400), "localhost:1", "[::1", "-x-"]);
  if (r.chance(0.1)) h["grpc-accept-encoding"] = r.pick(["gzip", "br,gzip,zstd", "*"]);
  if (r.chance(0.05)) h["user-agent"] = "u".repeat(r.pick([100, 7000]));
  if (r.chance(0.05))
    for (let i = r.between(10, 90); i > 0; i--) h[`x-junk-${i}`] = "j".repeat(r.between(0, 100));
  return h;
}

/** A path for a reader: the method's, or a mangled one. */
function readerPath(method: string, r: Random): { kind: string; path: string } {
  if (r.chance(0.85)) return { kind: "", path: `${SERVICE}/${method}` };
  return r.pick([
    () => ({ kind: "path-unknown-method", path: `${SERVICE}/Nope` }),
    () => ({ kind: "path-unknown-service", path: `/bronze.machine.v1.Nope/${method}` }),
    () => ({ kind: "path-root", path: "/" }),
    () => ({ kind: "path-long", path: `${SERVICE}/${"x".repeat(8000)}` }),
    () => ({ kind: "path-encoded", path: `${SERVICE}%2F${method}` }),
    () => ({ kind: "path-dots", path: `${SERVICE}/../${method}` }),
    () => ({ kind: "path-case", path: `${SERVICE}/${method.toLowerCase()}` }),
    () => ({ kind: "path-query", path: `${SERVICE}/${method}?encoding=json&message=%7B%7D` }),
  ])();
}

/** One hostile request. */
export function wireRequest(r: Random): WireRequest {
  const role: WireRole = r.chance(0.3) ? "admin" : "reader";
  const target = r.pick(TARGETS.filter((t) => t.roles.includes(role)));
  const contentType = r.pick(CONTENT_TYPES);
  const http1 = r.chance(0.1) && !contentType.startsWith("application/grpc") ? true : r.chance(0.02);
  const streamingConnect = contentType.startsWith("application/connect+");
  const body = bodyFor(contentType, target, streamingConnect, r);
  const path =
    role === "reader" ? readerPath(target.method, r) : { kind: "", path: `${SERVICE}/${target.method}` };
  const headers: Record<string, string> = { ...extraHeaders(r) };
  if (contentType !== "") headers["content-type"] = contentType;
  const kind = [target.method, contentType || "no-content-type", body.kind, path.kind, http1 ? "http1" : ""]
    .filter((s) => s !== "")
    .join(" ");
  return {
    kind,
    role,
    path: path.path,
    headers,
    body: body.data,
    streaming: target.streaming,
    privileged: target.privileged,
    http1,
  };
}
