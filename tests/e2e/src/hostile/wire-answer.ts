// What a server answered a hand-written request, in one vocabulary whatever the protocol: the status
// of a gRPC call (trailers, or headers for a trailers-only answer), of a gRPC-web call (a trailer
// frame in the body), of a Connect unary call (the HTTP status and the JSON error) or of a Connect
// streaming call (the end-of-stream message). The hostile-input bench judges every answer with it.

/** gRPC status numbers by Connect code name. */
const GRPC_CODES = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
] as const;

export type WireCode = (typeof GRPC_CODES)[number];

export interface WireAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly trailers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export interface WireStatus {
  /** The call's code; undefined when the answer carries none that the protocol says it must. */
  readonly code: WireCode | undefined;
  /** The error message, decoded; "" when none. */
  readonly message: string;
  /** How the status was found (or why none was). */
  readonly via: string;
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function grpcCode(value: string | undefined): WireCode | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return GRPC_CODES[Number(value)];
}

function decodeGrpcMessage(value: string | undefined): string {
  if (value === undefined) return "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The length-prefixed frames of a body (gRPC-web, Connect streaming); a cut-off frame ends the list. */
export function envelopes(body: Uint8Array): { flags: number; data: Uint8Array }[] {
  const out: { flags: number; data: Uint8Array }[] = [];
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = body[at] as number;
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    if (at + 5 + length > body.length) break;
    out.push({ flags, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/**
 * An HTTP error with no RPC status in it (e.g. connect's 415 to a content type it does not serve):
 * the code its status stands for (415 as unimplemented: the server does not serve that protocol).
 */
const CONNECT_HTTP_ONLY: Record<number, WireCode> = {
  400: "invalid_argument",
  401: "unauthenticated",
  403: "permission_denied",
  404: "unimplemented",
  408: "deadline_exceeded",
  409: "aborted",
  412: "failed_precondition",
  413: "resource_exhausted",
  415: "unimplemented",
  429: "unavailable",
  431: "resource_exhausted",
  502: "unavailable",
  503: "unavailable",
  504: "unavailable",
};

function connectError(json: unknown): { code: WireCode | undefined; message: string } | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const { code, message } = json as { code?: unknown; message?: unknown };
  if (typeof code !== "string") return undefined;
  const known = (GRPC_CODES as readonly string[]).includes(code) ? (code as WireCode) : undefined;
  return { code: known, message: typeof message === "string" ? message : "" };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** The status of an answer to a request sent with `contentType`. */
export function wireStatus(contentType: string, answer: WireAnswer): WireStatus {
  const type = contentType.toLowerCase();
  const answered = (one(answer.headers["content-type"]) ?? "").toLowerCase();
  const fromFields = (fields: WireAnswer["headers"], via: string): WireStatus | undefined => {
    const status = one(fields["grpc-status"]);
    if (status === undefined) return undefined;
    return { code: grpcCode(status), message: decodeGrpcMessage(one(fields["grpc-message"])), via };
  };
  if (answered.startsWith("application/grpc-web")) {
    const trailer = envelopes(answer.body).find((e) => (e.flags & 0x80) !== 0);
    if (trailer !== undefined) {
      const fields: Record<string, string> = {};
      for (const line of new TextDecoder().decode(trailer.data).split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const s = fromFields(fields, "grpc-web trailer frame");
      if (s !== undefined) return s;
    }
    return fromFields(answer.headers, "grpc-web headers") ?? { code: undefined, message: "", via: "none" };
  }
  if (answered.startsWith("application/grpc")) {
    return (
      fromFields(answer.trailers, "trailers") ??
      fromFields(answer.headers, "trailers-only headers") ?? {
        code: undefined,
        message: "",
        via: "a gRPC answer without grpc-status",
      }
    );
  }
  if (answered.startsWith("application/connect+")) {
    const end = envelopes(answer.body).find((e) => (e.flags & 0x02) !== 0);
    if (end === undefined) return { code: undefined, message: "", via: "a Connect stream without its end" };
    const error = connectError((parseJson(end.data) as { error?: unknown } | undefined)?.error);
    return error === undefined
      ? { code: "ok", message: "", via: "end-stream" }
      : { ...error, via: "end-stream" };
  }
  // Connect unary, or an answer that is not from the RPC layer at all (e.g. 415 to an unknown type).
  if (answer.status === 200) {
    const grpc = type.startsWith("application/grpc") ? fromFields(answer.trailers, "trailers") : undefined;
    return grpc ?? { code: "ok", message: "", via: "HTTP 200" };
  }
  const error = connectError(parseJson(answer.body));
  if (error !== undefined) return { ...error, via: `HTTP ${answer.status} + JSON error` };
  const fallback = fromFields(answer.headers, `HTTP ${answer.status} + grpc-status`);
  if (fallback !== undefined) return fallback;
  return {
    code: CONNECT_HTTP_ONLY[answer.status] ?? "unknown",
    message: new TextDecoder().decode(answer.body.subarray(0, 2048)),
    via: `HTTP ${answer.status}`,
  };
}
