import { expect, test } from "bun:test";
import { generateCA, inspectCertificate, issueCertificate, issueClientCertificate } from "@bronze/pki";
import { identifyPeer, PeerIdentityCache } from "./peer-identity.ts";

const ca = await generateCA({ commonName: "os" });

function der(pem: string): Uint8Array {
  const base64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(base64, "base64"));
}

test("the role is the Organization of a clientAuth certificate", async () => {
  for (const role of ["os:admin", "os:operator", "os:reader", "os:impersonator"]) {
    const c = await issueClientCertificate(ca, { role });
    expect(identifyPeer(der(c.crt))).toEqual({
      role: role as never,
      subject: `O=${role}, CN=${role.slice(3)}`,
      commonName: role.slice(3),
      serialNumber: inspectCertificate(c.crt).serialNumber,
    });
  }
});

test("a serverAuth-only certificate is refused, naming the missing usage", async () => {
  const c = await issueCertificate({ ca, commonName: "srv", organizations: ["os:admin"], usage: "server" });
  const id = identifyPeer(der(c.crt));
  expect("problem" in id && id.problem).toContain("lacks the clientAuth key usage");
});

test("no role, or two roles, is refused", async () => {
  const none = await issueCertificate({ ca, commonName: "x", organizations: ["acme"], usage: "client" });
  expect(JSON.stringify(identifyPeer(der(none.crt)))).toContain(
    "exactly one role as its Organization (found: acme)",
  );
  const two = await issueCertificate({
    ca,
    commonName: "x",
    organizations: ["os:reader", "os:admin"],
    usage: "client",
  });
  expect(JSON.stringify(identifyPeer(der(two.crt)))).toContain("found: os:reader, os:admin");
  expect(JSON.stringify(identifyPeer(Uint8Array.from([1, 2, 3])))).toContain("unreadable client certificate");
});

test("a certificate naming the maintenance marker as its Organization is refused, even beside a role", async () => {
  for (const organizations of [["os:maintenance"], ["os:maintenance", "os:admin"]]) {
    const c = await issueCertificate({ ca, commonName: "m", organizations, usage: "client" });
    const id = identifyPeer(der(c.crt));
    expect("problem" in id && id.problem).toContain("os:maintenance is never a client certificate's role");
  }
});

test("the cache returns the same identity and stays bounded", async () => {
  const c = await issueClientCertificate(ca, { role: "os:reader" });
  const cache = new PeerIdentityCache(2);
  const first = cache.identify("a", der(c.crt));
  expect(cache.identify("a", Uint8Array.from([0]))).toBe(first);
  cache.identify("b", der(c.crt));
  cache.identify("c", der(c.crt));
  expect(cache.size).toBe(2);
  expect("problem" in cache.identify("a", Uint8Array.from([0]))).toBe(true);
});
