/** The iPXE setting the script reads the artifacts' location from. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: iPXE's own ${...} syntax, not a template
export const IPXE_BASE_URL = "${base-url}";

/**
 * The iPXE script served next to the artifacts. `${base-url}` is an iPXE setting the user defines
 * (e.g. `set base-url http://10.0.0.1:8080`) or replaces; extra arguments (`bronze.config=...`)
 * can be appended to the kernel line. `initrd=` lets EFI kernels find the initramfs. `bronze.assets=`
 * tells the node where the assets came from: machined installs from there when `machine.install`
 * asks for it (and the config names no other source).
 */
export function bootIpxe(cmdline: string): string {
  return [
    "#!ipxe",
    "# Bronze network boot. Set base-url to where vmlinuz and initramfs.zst are served, e.g.",
    "#   set base-url http://10.0.0.1:8080",
    `kernel ${IPXE_BASE_URL}/vmlinuz initrd=initramfs.zst ${cmdline} bronze.assets=${IPXE_BASE_URL}`,
    `initrd ${IPXE_BASE_URL}/initramfs.zst`,
    "boot",
    "",
  ].join("\n");
}
