/**
 * What a non-admin may read of a config (GetConfiguration for os:reader and os:operator), by schema
 * path per document kind. This is an allow-list: a value at a path not listed here is redacted, so
 * a field added to the schema stays hidden until someone lists it (redaction-rules.test.ts fails
 * until every schema field is either listed here or in SECRET_PATHS).
 *
 * Paths: `.`-separated field names, `[]` for any list item, `*` for any key of a map of names
 * (sysctls, env, extraArgs). How a listed value is shown:
 * - `clear`: as written, except the userinfo, query and fragment of any URL in it (maskUrls);
 * - `flag`: like `clear`, unless the flag's name looks like a secret (token, password, key...);
 * - `name-only`: a `NAME=value` entry shows its name only (`NAME=******`).
 */
export type Exposure = "clear" | "flag" | "name-only";

const clear = (...paths: string[]): Record<string, Exposure> =>
  Object.fromEntries(paths.map((p) => [p, "clear" as const]));

const route = (base: string) => clear(`${base}.network`, `${base}.gateway`, `${base}.metric`);
const addressing = (base: string) => ({
  ...clear(`${base}.addresses[]`, `${base}.dhcp`, `${base}.mtu`),
  ...route(`${base}.routes[]`),
});
const component = (base: string): Record<string, Exposure> => ({
  ...clear(`${base}.image`),
  [`${base}.extraArgs.*`]: "flag",
});

export const REDACTION_RULES: Readonly<Record<string, Readonly<Record<string, Exposure>>>> = {
  v1alpha1: {
    ...clear("version", "debug", "persist", "machine.type", "machine.ca.crt", "machine.certSANs[]"),
    ...clear(
      "machine.install.disk",
      "machine.install.image",
      "machine.install.wipe",
      "machine.install.extraKernelArgs[]",
      "machine.install.bootloader",
    ),
    ...clear("machine.network.hostname", "machine.network.interfaces[].interface"),
    ...addressing("machine.network.interfaces[]"),
    ...clear("machine.network.interfaces[].vlans[].vlanId"),
    ...addressing("machine.network.interfaces[].vlans[]"),
    ...clear("machine.network.nameservers[]"),
    ...clear("machine.time.disabled", "machine.time.servers[]", "machine.time.bootTimeout"),
    ...clear("machine.sysctls.*"),
    ...clear("machine.files[].permissions", "machine.files[].path", "machine.files[].op"),
    ...clear("machine.kernel.modules[].name", "machine.kernel.modules[].parameters[]"),
    ...component("machine.kubelet"),
    ...clear("machine.kubelet.nodeIP.validSubnets[]"),
    ...clear("cluster.id", "cluster.clusterName", "cluster.controlPlane.endpoint"),
    ...clear(
      "cluster.network.dnsDomain",
      "cluster.network.podSubnets[]",
      "cluster.network.serviceSubnets[]",
      "cluster.network.cni.name",
      "cluster.network.cni.urls[]",
    ),
    ...clear("cluster.ca.crt", "cluster.aggregatorCA.crt", "cluster.etcd.ca.crt"),
    ...component("cluster.etcd"),
    ...component("cluster.apiServer"),
    ...clear("cluster.apiServer.certSANs[]"),
    ...component("cluster.controllerManager"),
    ...component("cluster.scheduler"),
    ...clear("cluster.allowSchedulingOnControlPlanes"),
  },
  KmsgLogConfig: clear("apiVersion", "kind", "name", "url"),
  ExtensionServiceConfig: {
    ...clear("apiVersion", "kind", "name", "configFiles[].mountPath"),
    "environment[]": "name-only",
  },
  WatchdogTimerConfig: clear("apiVersion", "kind", "device", "timeout"),
};

/** What an unknown document kind may show: what it claims to be. */
export const UNKNOWN_KIND_RULES: Readonly<Record<string, Exposure>> = clear("apiVersion", "kind");

/**
 * The schema fields that are secrets. Not used to redact (everything not in REDACTION_RULES is);
 * listed so that the test can check every schema field was decided on.
 */
export const SECRET_PATHS: Readonly<Record<string, readonly string[]>> = {
  v1alpha1: [
    "machine.token",
    "machine.ca.key",
    "machine.files[].content", // files hold credentials (registry auth, kubeconfigs, keys)
    "machine.env.*", // HTTPS_PROXY=http://user:password@proxy...
    "cluster.secret",
    "cluster.token",
    "cluster.secretboxEncryptionSecret",
    "cluster.ca.key",
    "cluster.aggregatorCA.key",
    "cluster.serviceAccount.key",
    "cluster.etcd.ca.key",
  ],
  KmsgLogConfig: [],
  ExtensionServiceConfig: ["configFiles[].content"],
  WatchdogTimerConfig: [],
};

/** A `--flag` name that says its value is a secret: shown as redacted even among extraArgs. */
export const SECRET_FLAG = /token|secret|password|passphrase|credential|key$/i;
