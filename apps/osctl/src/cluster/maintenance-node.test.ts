import { expect, test } from "bun:test";
import { applyConfigCommand, maintenanceFingerprint } from "./maintenance-node.ts";

const fp = (c: string) => c.repeat(64);

test("the fingerprint is the last one machined's console showed", () => {
  expect(maintenanceFingerprint("machined: [boot] sequence finished\n")).toBeUndefined();
  const serial = [
    `2026-11-27T03:14:18Z machined: apid: maintenance mode, certificate fingerprint sha256:${fp("a")}`,
    "2026-11-27T03:15:00Z machined: service apid: Waiting (restarting)",
    `2026-11-27T03:15:09Z machined: apid: maintenance mode, certificate fingerprint sha256:${fp("b")}`,
    "",
  ].join("\n");
  expect(maintenanceFingerprint(serial)).toBe(fp("b"));
  // Not 64 hex digits (a line cut short by a serial log still being written): not a fingerprint yet.
  expect(maintenanceFingerprint("maintenance mode, certificate fingerprint sha256:abcd")).toBeUndefined();
});

test("the apply-config command: insecure, the node's endpoint, its file, the pinned fingerprint, no reboot", () => {
  const input = {
    endpoint: "127.0.0.1:40123",
    file: "/home/u/.osctl/clusters/demo/demo-controlplane-1/config.yaml",
    fingerprint: fp("c"),
    serialLog: "/home/u/.osctl/clusters/demo/demo-controlplane-1/serial.log",
  };
  expect(applyConfigCommand(input)).toBe(
    `osctl apply-config --insecure -e 127.0.0.1:40123 -f /home/u/.osctl/clusters/demo/demo-controlplane-1/config.yaml --cert-fingerprint sha256:${fp("c")} --mode no-reboot`,
  );
  // Unknown yet (--no-wait): read from the serial log; paths with spaces are quoted.
  expect(
    applyConfigCommand({
      ...input,
      fingerprint: undefined,
      file: "/a b/config.yaml",
      serialLog: "/a b/serial.log",
    }),
  ).toBe(
    `osctl apply-config --insecure -e 127.0.0.1:40123 -f '/a b/config.yaml' --cert-fingerprint "$(grep -o 'sha256:[0-9a-f]*' '/a b/serial.log' | tail -1)" --mode no-reboot`,
  );
});
