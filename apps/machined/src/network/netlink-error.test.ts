import { expect, test } from "bun:test";
import { NetlinkError } from "./netlink-error.ts";

test("names the request, the description and the errno name", () => {
  const err = new NetlinkError("RTM_NEWADDR 10.0.0.5/24 dev eth0", 17, "File exists");
  expect(err.message).toBe("RTM_NEWADDR 10.0.0.5/24 dev eth0: File exists (EEXIST)");
  expect(err.code).toBe("EEXIST");
  expect(err.errno).toBe(17);
  expect(err.request).toBe("RTM_NEWADDR 10.0.0.5/24 dev eth0");
  expect(new NetlinkError("RTM_GETLINK dev x", 19, "No such device").code).toBe("ENODEV");
});
