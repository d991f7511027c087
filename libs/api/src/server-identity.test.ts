import { expect, test } from "bun:test";
import type { PeerCertificate } from "node:tls";
import { checkServerIdentity } from "./server-identity.ts";

const cert = (subjectaltname: string | undefined, CN = "cp.cluster.example") =>
  ({ subject: { CN }, subjectaltname }) as unknown as PeerCertificate;

test("a DNS host must be a DNS SAN: the CN never stands in for one", () => {
  expect(checkServerIdentity("cp.cluster.example", cert("DNS:cp.cluster.example"))).toBeUndefined();
  expect(checkServerIdentity("a.cluster.example", cert("DNS:*.cluster.example"))).toBeUndefined();
  for (const sans of [undefined, "", "IP Address:127.0.0.1", "DNS:other.example"]) {
    const error = checkServerIdentity("cp.cluster.example", cert(sans)) as Error & { code: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(error.message).toContain("does not name cp.cluster.example");
    expect(error.message).toContain("its common name is never accepted");
  }
});

// Over real TLS connections: apps/apid/src/upstreams.test.ts and apps/osctl/src/client/node-client.test.ts.
test("an IP host must be an IP SAN", () => {
  expect(checkServerIdentity("127.0.0.1", cert("IP Address:127.0.0.1"))).toBeUndefined();
  expect(checkServerIdentity("::1", cert("DNS:localhost, IP Address:0:0:0:0:0:0:0:1"))).toBeUndefined();
  expect(checkServerIdentity("10.0.0.2", cert("IP Address:127.0.0.1", "10.0.0.2"))).toBeInstanceOf(Error);
});
