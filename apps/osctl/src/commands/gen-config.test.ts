import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "@bronze/config-schema";
import { decodePemBase64, inspectCertificate } from "@bronze/pki";
import { parse } from "yaml";
import { parseOsconfig } from "../osconfig/osconfig.ts";
import { createTestIo, openssl, osctl, type TestIo } from "../testing/test-io.ts";

let io: TestIo;
beforeAll(() => {
  io = createTestIo();
});
afterAll(() => io.cleanup());

// biome-ignore lint/suspicious/noExplicitAny: reading back generated YAML
const readYaml = (path: string): any => parse(readFileSync(path, "utf8"));

describe("osctl gen config", () => {
  test("writes valid control-plane and worker configs and an osconfig with an os:admin certificate", async () => {
    const res = await osctl(
      io,
      "gen",
      "config",
      "demo",
      "https://10.0.0.10:6443",
      "-o",
      "out",
      "--additional-sans",
      "cp.example.com",
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const dir = join(io.dir, "out");
    for (const name of ["controlplane.yaml", "worker.yaml", "osconfig"]) {
      expect(res.stdout).toContain(`created ${join(dir, name)}`);
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    }
    for (const name of ["controlplane.yaml", "worker.yaml"]) {
      const result = validateConfig(readFileSync(join(dir, name), "utf8"), { mode: "metal", strict: true });
      expect(result.errors).toEqual([]);
      expect(result.ok).toBe(true);
    }

    const cp = readYaml(join(dir, "controlplane.yaml"));
    const worker = readYaml(join(dir, "worker.yaml"));
    expect(cp.machine.type).toBe("controlplane");
    expect(cp.cluster.controlPlane.endpoint).toBe("https://10.0.0.10:6443");
    expect(cp.machine.certSANs).toEqual(["10.0.0.10", "cp.example.com"]);
    expect(cp.machine.install.disk).toBe("/dev/sda");
    expect(worker.machine.type).toBe("worker");
    // Workers carry certificates only: no CA keys, no control-plane-only sections.
    expect(worker.machine.ca.key).toBeUndefined();
    expect(worker.cluster.ca.key).toBeUndefined();
    expect(worker.cluster.etcd).toBeUndefined();
    expect(worker.cluster.serviceAccount).toBeUndefined();
    expect(worker.machine.ca.crt).toBe(cp.machine.ca.crt);
    expect(worker.machine.token).toBe(cp.machine.token);
    expect(worker.cluster.token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);

    const osconfig = parseOsconfig(readFileSync(join(dir, "osconfig"), "utf8"), "osconfig");
    expect(osconfig.context).toBe("demo");
    const context = osconfig.contexts.demo;
    expect(context?.endpoints).toEqual(["10.0.0.10"]);
    expect(context?.ca).toBe(cp.machine.ca.crt);
    const client = inspectCertificate(decodePemBase64(context?.crt ?? ""));
    expect(client.organizations).toEqual(["os:admin"]);
    expect(client.extendedKeyUsages).toContain("clientAuth");
    const days = (client.notAfter.getTime() - client.notBefore.getTime()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(367);

    // The real openssl agrees that the admin certificate chains to the OS CA in the config.
    writeFileSync(join(dir, "ca.pem"), decodePemBase64(cp.machine.ca.crt));
    writeFileSync(join(dir, "admin.pem"), decodePemBase64(context?.crt ?? ""));
    const verify = openssl(
      "verify",
      "-CAfile",
      join(dir, "ca.pem"),
      "-purpose",
      "sslclient",
      join(dir, "admin.pem"),
    );
    expect(verify.output).toContain("admin.pem: OK");
  });

  test("refuses to overwrite without --force and leaves the files untouched", async () => {
    const before = readFileSync(join(io.dir, "out/controlplane.yaml"), "utf8");
    const res = await osctl(io, "gen", "config", "demo", "https://10.0.0.10:6443", "-o", "out");
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("refusing to overwrite");
    expect(res.stderr).toContain("controlplane.yaml");
    expect(readFileSync(join(io.dir, "out/controlplane.yaml"), "utf8")).toBe(before);
    const forced = await osctl(io, "gen", "config", "demo", "https://10.0.0.10:6443", "-o", "out", "--force");
    expect(forced.code).toBe(0);
    expect(readFileSync(join(io.dir, "out/controlplane.yaml"), "utf8")).not.toBe(before);
  });

  test("--with-secrets regenerates configs with the same PKI", async () => {
    expect((await osctl(io, "gen", "secrets", "-o", "s.yaml")).code).toBe(0);
    await osctl(io, "gen", "config", "c1", "https://cp:6443", "-o", "one", "--with-secrets", "s.yaml");
    await osctl(io, "gen", "config", "c1", "https://cp:6443", "-o", "two", "--with-secrets", "s.yaml");
    const one = readYaml(join(io.dir, "one/controlplane.yaml"));
    const two = readYaml(join(io.dir, "two/controlplane.yaml"));
    expect(two.machine.ca).toEqual(one.machine.ca);
    expect(two.cluster.etcd.ca).toEqual(one.cluster.etcd.ca);
    expect(two.cluster.id).toBe(one.cluster.id);
  });

  test("patches apply to both configs or to one role", async () => {
    writeFileSync(join(io.dir, "both.yaml"), "machine:\n  sysctls:\n    net.core.somaxconn: '65535'\n");
    const res = await osctl(
      io,
      "gen",
      "config",
      "p",
      "https://cp:6443",
      "-o",
      "patched",
      "--config-patch",
      "@both.yaml",
      "--config-patch-worker",
      '[{"op":"add","path":"/machine/network/hostname","value":"worker-1"}]',
      "--install-disk",
      "/dev/vda",
    );
    expect(res.stderr).toBe("");
    const cp = readYaml(join(io.dir, "patched/controlplane.yaml"));
    const worker = readYaml(join(io.dir, "patched/worker.yaml"));
    expect(cp.machine.sysctls["net.core.somaxconn"]).toBe("65535");
    expect(worker.machine.sysctls["net.core.somaxconn"]).toBe("65535");
    expect(worker.machine.network.hostname).toBe("worker-1");
    expect(cp.machine.network.hostname).toBeUndefined();
    expect(worker.machine.install.disk).toBe("/dev/vda");
  });

  test("a patch that makes the config invalid fails with the field path and writes nothing", async () => {
    const res = await osctl(
      io,
      "gen",
      "config",
      "bad",
      "https://cp:6443",
      "-o",
      "bad",
      "--config-patch",
      "cluster:\n  network:\n    podSubnets: [not-a-cidr]\n",
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("cluster.network.podSubnets[0]");
    expect(existsSync(join(io.dir, "bad"))).toBe(false);
  });

  test("bad arguments are usage errors (exit 2) naming the argument", async () => {
    const notHttps = await osctl(io, "gen", "config", "x", "http://cp:6443");
    expect(notHttps.code).toBe(2);
    expect(notHttps.stderr).toContain('<endpoint>: "http://cp:6443" must use https://');
    const badName = await osctl(io, "gen", "config", "Bad_Name", "https://cp:6443");
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain("<cluster-name>");
    const missing = await osctl(io, "gen", "config", "x");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'endpoint'");
  });

  test("a corrupt secrets bundle names the file and the field", async () => {
    writeFileSync(
      join(io.dir, "broken.yaml"),
      readFileSync(join(io.dir, "s.yaml"), "utf8").replace(/(os:\n\s+crt: )\S+/, "$1bm90LWEtcGVt"),
    );
    const res = await osctl(
      io,
      "gen",
      "config",
      "c",
      "https://cp:6443",
      "-o",
      "x",
      "--with-secrets",
      "broken.yaml",
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("--with-secrets broken.yaml");
    expect(res.stderr).toContain("certs.os.crt");
  });
});
