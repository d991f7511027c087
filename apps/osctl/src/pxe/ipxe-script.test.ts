// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac} and ${base-url} are iPXE and machined variables, not templates
import { expect, test } from "bun:test";
import { IpxeTemplateError, renderIpxeScript } from "./ipxe-script.ts";

const template = [
  "#!ipxe",
  "# comment",
  "kernel ${base-url}/vmlinuz initrd=initramfs.zst console=ttyS0 bronze.platform=qemu",
  "initrd ${base-url}/initramfs.zst",
  "boot",
  "",
].join("\n");

test("sets base-url after the shebang and appends bronze.config to the kernel line", () => {
  const script = renderIpxeScript({
    template,
    assetsUrl: "http://10.0.0.1:8080/assets",
    configUrl: "http://10.0.0.1:8080/config?mac=${mac}",
  });
  const lines = script.split("\n");
  expect(lines[0]).toBe("#!ipxe");
  expect(lines[1]).toBe("set base-url http://10.0.0.1:8080/assets");
  expect(lines[3]).toBe(
    "kernel ${base-url}/vmlinuz initrd=initramfs.zst console=ttyS0 bronze.platform=qemu bronze.config=http://10.0.0.1:8080/config?mac=${mac}",
  );
  expect(lines[4]).toBe("initrd ${base-url}/initramfs.zst");
});

test("replaces a bronze.config already in the template", () => {
  const script = renderIpxeScript({
    template: template.replace("bronze.platform=qemu", "bronze.config=http://old/x bronze.platform=qemu"),
    assetsUrl: "http://h/assets",
    configUrl: "http://h/config",
  });
  expect(script).not.toContain("http://old/x");
  expect(script.match(/bronze\.config=/g)?.length).toBe(1);
});

test("a template without a kernel line is an error", () => {
  expect(() => renderIpxeScript({ template: "#!ipxe\nboot\n", assetsUrl: "a", configUrl: "c" })).toThrow(
    IpxeTemplateError,
  );
});
