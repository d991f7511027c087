// Renders the image's boot.ipxe for one machine: the base URL the assets are served from, and the
// `bronze.config=` argument that points the node at its config (iPXE expands `${mac}` itself).

export interface IpxeScriptInput {
  /** The image's boot.ipxe (a `kernel ${base-url}/vmlinuz ...` line, `initrd`, `boot`). */
  template: string;
  /** Where the assets are served, e.g. http://10.0.0.1:8080/assets (no trailing slash). */
  assetsUrl: string;
  /** The config URL to append to the kernel line; kept verbatim (`${mac}` is for iPXE). */
  configUrl: string;
}

export class IpxeTemplateError extends Error {
  override readonly name = "IpxeTemplateError";
  readonly code = "NoKernelLine";
}

/** Sets `base-url` right after `#!ipxe` and appends `bronze.config=` to the kernel line. */
export function renderIpxeScript(input: IpxeScriptInput): string {
  const lines = input.template.split("\n");
  const kernel = lines.findIndex((l) => /^\s*(kernel|chain)\s/.test(l));
  if (kernel < 0) throw new IpxeTemplateError("boot.ipxe has no `kernel` line to add bronze.config= to");
  const withoutConfig = (lines[kernel] as string).replace(/\s+bronze\.config=\S*/g, "").trimEnd();
  lines[kernel] = `${withoutConfig} bronze.config=${input.configUrl}`;
  const shebang = lines[0]?.startsWith("#!ipxe") ? 1 : 0;
  lines.splice(shebang, 0, `set base-url ${input.assetsUrl}`);
  return lines.join("\n");
}
