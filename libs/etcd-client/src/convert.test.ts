import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import {
  describeKey,
  formatMemberId,
  parseMemberId,
  toAlarm,
  toAlarmType,
  toBytes,
  toMember,
  toStatus,
  toText,
} from "./convert.ts";
import { EtcdError } from "./errors.ts";
import {
  AlarmMemberSchema,
  AlarmType,
  MemberSchema,
  ResponseHeaderSchema,
  StatusResponseSchema,
} from "./gen/etcd/etcdserver/etcdserverpb/rpc_pb.ts";

test("member ids are shown in hex as etcdctl shows them, and parsed from either form", () => {
  expect(formatMemberId(10276657743932975437n)).toBe("8e9e05c52164694d");
  expect(formatMemberId(0x0fn)).toBe("f");
  expect(parseMemberId("op", "8e9e05c52164694d")).toBe(10276657743932975437n);
  expect(parseMemberId("op", "0x8E9E05C52164694D")).toBe(10276657743932975437n);
  expect(parseMemberId("op", 42n)).toBe(42n);
  expect(parseMemberId("op", "ffffffffffffffff")).toBe((1n << 64n) - 1n);
});

test("a member id that is not a non-zero uint64 is InvalidArgument", () => {
  for (const bad of ["", "xyz", "1ffffffffffffffff", "0", -1n, 0n, 1n << 64n] as (string | bigint)[]) {
    let caught: unknown;
    try {
      parseMemberId("memberRemove", bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EtcdError);
    expect((caught as EtcdError).code).toBe("InvalidArgument");
    expect((caught as EtcdError).op).toBe("memberRemove");
  }
});

test("keys and values: strings as UTF-8, bytes as they are; binary keys named in hex", () => {
  expect(toBytes("é")).toEqual(new Uint8Array([0xc3, 0xa9]));
  const raw = new Uint8Array([0, 255]);
  expect(toBytes(raw)).toBe(raw);
  expect(toText(new Uint8Array([0x68, 0x69]))).toBe("hi");
  expect(describeKey("a/b")).toBe('"a/b"');
  expect(describeKey(raw)).toBe("0x00ff");
});

test("members, status and alarms become domain types", () => {
  const m = toMember(
    create(MemberSchema, {
      ID: 0x8e9e05c52164694dn,
      name: "n1",
      peerURLs: ["https://10.0.0.2:2380"],
      clientURLs: ["https://10.0.0.2:2379"],
      isLearner: true,
    }),
  );
  expect(m).toEqual({
    id: 0x8e9e05c52164694dn,
    idHex: "8e9e05c52164694d",
    name: "n1",
    peerUrls: ["https://10.0.0.2:2380"],
    clientUrls: ["https://10.0.0.2:2379"],
    isLearner: true,
  });
  const s = toStatus(
    "https://10.0.0.2:2379",
    create(StatusResponseSchema, {
      header: create(ResponseHeaderSchema, { memberId: 7n }),
      version: "3.4.23",
      dbSize: 20480n,
      dbSizeInUse: 16384n,
      leader: 9n,
      raftIndex: 12n,
      raftAppliedIndex: 12n,
      raftTerm: 3n,
      errors: ["NOSPACE"],
      isLearner: false,
    }),
  );
  expect(s).toEqual({
    endpoint: "https://10.0.0.2:2379",
    memberId: 7n,
    leader: 9n,
    version: "3.4.23",
    dbSize: 20480,
    dbSizeInUse: 16384,
    raftIndex: 12,
    raftAppliedIndex: 12,
    raftTerm: 3,
    isLearner: false,
    errors: ["NOSPACE"],
  });
  expect(toAlarm(create(AlarmMemberSchema, { memberID: 5n, alarm: AlarmType.NOSPACE }))).toEqual({
    memberId: 5n,
    alarm: "NOSPACE",
  });
  expect(toAlarm(create(AlarmMemberSchema, { memberID: 5n, alarm: AlarmType.NONE }))).toBeUndefined();
  expect(toAlarmType("x", "CORRUPT")).toBe(AlarmType.CORRUPT);
  expect(() => toAlarmType("x", "OTHER" as "CORRUPT")).toThrow(EtcdError);
});
