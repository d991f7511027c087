import { expect, test } from "bun:test";
import { BRONZE_VERSION } from "@bronze/api";
import { releaseVersion } from "./release-version.ts";

test("the release is os-release's VERSION_ID; dev, missing or no file fall back to the API's version", () => {
  const file = (text: string) => () => text;
  expect(releaseVersion("x", file('NAME="Bronze"\nVERSION_ID=0.2.0-e2e\n'))).toBe("0.2.0-e2e");
  expect(releaseVersion("x", file('VERSION_ID="1.0"\n'))).toBe("1.0");
  expect(releaseVersion("x", file("VERSION_ID=dev\n"))).toBe(BRONZE_VERSION);
  expect(releaseVersion("x", file("NAME=x\n"))).toBe(BRONZE_VERSION);
  expect(
    releaseVersion("x", () => {
      throw new Error("ENOENT");
    }),
  ).toBe(BRONZE_VERSION);
});
