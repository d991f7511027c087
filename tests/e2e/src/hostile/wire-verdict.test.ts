import { expect, test } from "bun:test";
import type { WireAnswer } from "./wire-answer.ts";
import type { WireRequest } from "./wire-requests.ts";
import { judgeOutcome } from "./wire-verdict.ts";

const req = (over: Partial<WireRequest> = {}): WireRequest => ({
  kind: "test",
  role: "reader",
  path: "/bronze.machine.v1.MachineService/Version",
  headers: { "content-type": "application/grpc" },
  body: new Uint8Array(),
  streaming: false,
  privileged: false,
  http1: false,
  ...over,
});
const grpc = (status: string, message = ""): { kind: "answer"; answer: WireAnswer; ms: number } => ({
  kind: "answer",
  answer: {
    status: 200,
    headers: { "content-type": "application/grpc" },
    trailers: { "grpc-status": status, "grpc-message": encodeURIComponent(message) },
    body: new Uint8Array(),
  },
  ms: 3,
});

test("success, refusals and a reader's success on a privileged method", () => {
  expect(judgeOutcome(req(), grpc("0")).verdict).toBe("answered");
  expect(judgeOutcome(req(), grpc("3", "bad")).verdict).toBe("refused");
  expect(judgeOutcome(req({ privileged: true }), grpc("0")).verdict).toBe("bypass");
  expect(judgeOutcome(req({ privileged: true, role: "admin" }), grpc("0")).verdict).toBe("answered");
});

test("internal: a decoding failure is misreported, anything else unclean; so is a long message", () => {
  expect(judgeOutcome(req(), grpc("13", "parse binary: premature EOF")).verdict).toBe("misreported");
  expect(
    judgeOutcome(req(), grpc("13", "received compressed envelope, but do not know how to decompress"))
      .verdict,
  ).toBe("misreported");
  expect(judgeOutcome(req(), grpc("13", "TypeError: x is undefined")).verdict).toBe("unclean");
  expect(judgeOutcome(req(), grpc("2", "")).verdict).toBe("unclean");
  expect(judgeOutcome(req(), grpc("3", "x".repeat(20_000))).verdict).toBe("unclean");
});

test("unavailable is expected only when the call was forwarded", () => {
  expect(judgeOutcome(req(), grpc("14", "upstream")).verdict).toBe("unclean");
  expect(
    judgeOutcome(req({ headers: { "content-type": "application/grpc", "x-bronze-node": "x" } }), grpc("14"))
      .verdict,
  ).toBe("refused");
});

test("no answer in time: a held stream when it had answered, unclean otherwise; resets and drops", () => {
  expect(judgeOutcome(req({ streaming: true }), { kind: "timeout", answered: true, ms: 3000 }).verdict).toBe(
    "held",
  );
  expect(judgeOutcome(req(), { kind: "timeout", answered: true, ms: 10_000 }).verdict).toBe("unclean");
  expect(judgeOutcome(req(), { kind: "reset", code: 7, ms: 1 }).verdict).toBe("reset");
  expect(judgeOutcome(req(), { kind: "dropped", message: "ECONNRESET", ms: 1 }).verdict).toBe("dropped");
  const noStatus = { ...grpc("0"), answer: { ...grpc("0").answer, trailers: {} } };
  expect(judgeOutcome(req(), noStatus).verdict).toBe("unclean");
});

test("gRPC over HTTP/1.1: 505 is a refusal, 200 without a status misreported; gRPC-web over HTTP/1.1 is not excused", () => {
  const noStatus = { ...grpc("0"), answer: { ...grpc("0").answer, trailers: {} } };
  expect(judgeOutcome(req({ http1: true }), noStatus).verdict).toBe("misreported");
  const refused = { ...noStatus, answer: { ...noStatus.answer, status: 505 } };
  expect(judgeOutcome(req({ http1: true }), refused).verdict).toBe("refused");
  const thrift = req({ http1: true, headers: { "content-type": "APPLICATION/GRPC+thrift" } });
  expect(judgeOutcome(thrift, refused).verdict).toBe("refused");
  expect(judgeOutcome(req(), refused).verdict).toBe("unclean"); // over HTTP/2 a status is owed
  const web = req({ http1: true, headers: { "content-type": "application/grpc-web+proto" } });
  const webNoStatus = {
    ...noStatus,
    answer: { ...noStatus.answer, headers: { "content-type": "application/grpc-web+proto" } },
  };
  expect(judgeOutcome(web, webNoStatus).verdict).toBe("unclean");
});
