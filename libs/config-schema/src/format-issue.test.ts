import { expect, test } from "bun:test";
import { formatIssue } from "./format-issue.ts";
import type { ConfigIssue } from "./types.ts";

const issue: ConfigIssue = {
  path: "machine.network.interfaces[0].addresses[1]",
  line: 12,
  column: 9,
  message: "bad",
  severity: "error",
  code: "invalid_cidr",
  document: 0,
};

test("file:line:col: severity: path: message [code]", () => {
  expect(formatIssue(issue, "worker.yaml")).toBe(
    "worker.yaml:12:9: error: machine.network.interfaces[0].addresses[1]: bad [invalid_cidr]",
  );
});

test("without a file or a path", () => {
  expect(formatIssue({ ...issue, path: "", severity: "warning" })).toBe("12:9: warning: bad [invalid_cidr]");
});
