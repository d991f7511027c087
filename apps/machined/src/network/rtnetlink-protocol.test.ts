// RtNetlink's request/reply handling against a scripted socket: multi-datagram dumps, stale replies,
// errors at the end of a dump, and the exact bytes of a request. Real-kernel behaviour: rtnetlink.component.test.ts.
import { expect, test } from "bun:test";
import { NetlinkError } from "./netlink-error.ts";
import {
  attrString,
  attrU32,
  decodeMessages,
  encodeIfInfo,
  encodeMessage,
  IFLA_IFNAME,
  IFLA_MTU,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  RTM_NEWLINK,
} from "./netlink-message.ts";
import type { NetlinkSocket } from "./netlink-socket.ts";
import { RtNetlink } from "./rtnetlink.ts";

/** Answers each request with `script(seq)`: a list of datagrams, each a list of messages. */
class ScriptedSocket implements NetlinkSocket {
  readonly sent: Uint8Array[] = [];
  #pending: Uint8Array[] = [];
  constructor(readonly script: (seq: number) => Uint8Array[][]) {}
  send(bytes: Uint8Array) {
    this.sent.push(bytes);
    const seq = decodeMessages(bytes)[0]?.seq ?? 0;
    this.#pending = this.script(seq).map((msgs) => {
      const out = new Uint8Array(msgs.reduce((n, m) => n + m.length, 0));
      let off = 0;
      for (const m of msgs) {
        out.set(m, off);
        off += m.length;
      }
      return out;
    });
  }
  receive() {
    const next = this.#pending.shift();
    if (next === undefined) throw new Error("test socket: nothing to receive");
    return next;
  }
  close() {}
}

const linkMsg = (seq: number, index: number, name: string) =>
  encodeMessage({
    type: RTM_NEWLINK,
    flags: NLM_F_MULTI,
    seq,
    pid: 0,
    body: encodeIfInfo({ family: 0, type: 1, index, flags: 0, change: 0 }, [
      attrString(IFLA_IFNAME, name),
      attrU32(IFLA_MTU, 1500),
    ]),
  });
const done = (seq: number, errno = 0) => {
  const body = new Uint8Array(4);
  new DataView(body.buffer).setInt32(0, -errno, true);
  return encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq, pid: 0, body });
};
const ack = (seq: number, errno = 0) => {
  const body = new Uint8Array(20);
  new DataView(body.buffer).setInt32(0, -errno, true);
  return encodeMessage({ type: NLMSG_ERROR, flags: 0, seq, pid: 0, body });
};
const describeErrno = (n: number) => (n === 16 ? "Device or resource busy" : `errno ${n}`);

test("a dump spread over several datagrams is read to NLMSG_DONE; stale replies are skipped", () => {
  const socket = new ScriptedSocket((seq) => [
    [linkMsg(seq - 1, 9, "stale"), linkMsg(seq, 1, "lo"), linkMsg(seq, 2, "eth0")],
    [linkMsg(seq, 3, "eth1")],
    [done(seq)],
  ]);
  const rtnl = new RtNetlink({ socket, describeErrno });
  expect(rtnl.listLinks().map((l) => `${l.index}:${l.name}:${l.mtu}`)).toEqual([
    "1:lo:1500",
    "2:eth0:1500",
    "3:eth1:1500",
  ]);
});

test("an error at the end of a dump is a NetlinkError", () => {
  const socket = new ScriptedSocket((seq) => [[linkMsg(seq, 1, "lo"), done(seq, 16)]]);
  const rtnl = new RtNetlink({ socket, describeErrno });
  expect(() => rtnl.listLinks()).toThrow(new NetlinkError("RTM_GETLINK", 16, "Device or resource busy"));
});

test("setMtu by index sends one RTM_SETLINK with NLM_F_ACK and IFLA_MTU, and waits for its ACK", () => {
  const socket = new ScriptedSocket((seq) => [[ack(seq - 1, 16)], [ack(seq)]]);
  const rtnl = new RtNetlink({ socket, describeErrno });
  rtnl.setMtu(4, 9000);
  expect(socket.sent).toHaveLength(1);
  const sent = socket.sent[0] as Uint8Array;
  const [msg] = decodeMessages(sent);
  expect(Buffer.from(sent.subarray(4, 8)).toString("hex")).toBe("13000500"); // RTM_SETLINK, REQUEST|ACK
  expect(Buffer.from(msg?.payload ?? []).toString("hex")).toBe(
    `${"00000000" + "04000000" + "00000000" + "00000000"}08000400${"28230000"}`,
  );
});

test("an ACK with an errno becomes a NetlinkError naming the request", () => {
  const socket = new ScriptedSocket((seq) => [[ack(seq, 16)]]);
  const rtnl = new RtNetlink({ socket, describeErrno });
  expect(() => rtnl.setLinkUp(4, false)).toThrow("RTM_SETLINK dev 4 down: Device or resource busy (EBUSY)");
});
