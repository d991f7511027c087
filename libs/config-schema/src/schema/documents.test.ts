import { expect, test } from "bun:test";
import { controlplane, errorsOf } from "../../test/fixtures.ts";
import { DOCUMENT_KINDS, documentKind, KmsgLogConfigSchema } from "./documents.ts";

const kmsg = (extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1alpha1",
  kind: "KmsgLogConfig",
  name: "logs",
  url: "tcp://10.0.0.1:5170",
  ...extra,
});
const ext = (extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1alpha1",
  kind: "ExtensionServiceConfig",
  name: "nut-client",
  ...extra,
});
const watchdog = (extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1alpha1",
  kind: "WatchdogTimerConfig",
  device: "/dev/watchdog0",
  ...extra,
});

test("the registry holds the three Talos kinds", () => {
  expect(DOCUMENT_KINDS.map((k) => k.kind)).toEqual([
    "KmsgLogConfig",
    "ExtensionServiceConfig",
    "WatchdogTimerConfig",
  ]);
  expect(documentKind("KmsgLogConfig")?.named).toBe(true);
  expect(documentKind("WatchdogTimerConfig")?.named).toBe(false);
  expect(documentKind("Nope")).toBeUndefined();
  expect(KmsgLogConfigSchema.safeParse(kmsg()).success).toBe(true);
});

const cases: [string, Record<string, unknown>, Record<string, unknown>, string, string][] = [
  [
    "KmsgLogConfig url is tcp:// or udp://",
    kmsg({ url: "https://10.0.0.1:5170" }),
    kmsg({ url: "udp://[fd00::1]:514" }),
    "url",
    "invalid_url",
  ],
  [
    "KmsgLogConfig url has a port",
    kmsg({ url: "tcp://logs.example" }),
    kmsg({ url: "tcp://logs.example:5170" }),
    "url",
    "invalid_url",
  ],
  ["KmsgLogConfig needs a name", kmsg({ name: undefined }), kmsg(), "name", "required"],
  [
    "KmsgLogConfig names are DNS labels",
    kmsg({ name: "Remote Logs" }),
    kmsg({ name: "remote-logs" }),
    "name",
    "invalid_format",
  ],
  ["apiVersion must be v1alpha1", kmsg({ apiVersion: "v1" }), kmsg(), "apiVersion", "invalid_value"],
  ["typed documents are strict", kmsg({ format: "json" }), kmsg(), "format", "unknown_field"],
  [
    "ExtensionServiceConfig environment is NAME=value",
    ext({ environment: ["NUT_UPS"] }),
    ext({ environment: ["NUT_UPS=ups"] }),
    "environment[0]",
    "invalid_format",
  ],
  [
    "ExtensionServiceConfig mountPath is absolute",
    ext({ configFiles: [{ content: "x", mountPath: "etc/x" }] }),
    ext({ configFiles: [{ content: "x", mountPath: "/etc/x" }] }),
    "configFiles[0].mountPath",
    "invalid_path",
  ],
  [
    "WatchdogTimerConfig device is under /dev",
    watchdog({ device: "watchdog0" }),
    watchdog(),
    "device",
    "invalid_path",
  ],
  [
    "WatchdogTimerConfig timeout is a duration",
    watchdog({ timeout: "2 minutes" }),
    watchdog({ timeout: "1m" }),
    "timeout",
    "invalid_duration",
  ],
  [
    "WatchdogTimerConfig timeout is at least 10s",
    watchdog({ timeout: "5s" }),
    watchdog({ timeout: "10s" }),
    "timeout",
    "out_of_range",
  ],
];

test.each(cases)("%s", (_name, bad, good, path, code) => {
  const strip = (d: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
  expect(errorsOf([controlplane(), strip(bad)])).toContainEqual({ path, code });
  expect(errorsOf([controlplane(), strip(good)])).toEqual([]);
});
