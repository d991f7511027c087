// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac} and ${uuid} are iPXE variables, not templates
// `osctl pxe serve`: one HTTP server for network-booting nodes. Routes:
//   /assets/<file>          the image's artifacts (vmlinuz, initramfs.zst, rootfs.sqsh, ...)
//   /boot.ipxe             chains to itself with iPXE's ${mac} and ${uuid} filled in
//   /boot.ipxe?mac=&uuid=   an iPXE script per machine: <configs>/<mac|uuid|default>.ipxe if present,
//                           else the image's boot.ipxe with base-url and bronze.config= filled in
//   /config?mac=&uuid=      <configs>/<mac>.yaml, else <uuid>.yaml, else default.yaml; 404 otherwise
//                           (the node then enters maintenance mode)
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { renderIpxeScript } from "./ipxe-script.ts";

export interface PxeServerOptions {
  assetsDir: string;
  configsDir: string;
  /** The URL nodes reach this server at; default: `http://<Host header>`. */
  baseUrl?: string;
  log: (line: string) => void;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Lower-case MAC with colons, or undefined if `value` is not a MAC (colons, hyphens or bare hex). */
export function normalizeMac(value: string): string | undefined {
  const hex = value.toLowerCase().replace(/[:-]/g, "");
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(":");
}

/** Lower-case UUID, or undefined if `value` is not one. */
export function normalizeUuid(value: string): string | undefined {
  const v = value.toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v) ? v : undefined;
}

/** The file names tried for a machine, in order: MAC (colons, then hyphens), UUID, default. */
export function candidateNames(params: URLSearchParams, extension: string): string[] {
  const names: string[] = [];
  const mac = normalizeMac(params.get("mac") ?? "");
  if (mac) names.push(`${mac}${extension}`, `${mac.replaceAll(":", "-")}${extension}`);
  const uuid = normalizeUuid(params.get("uuid") ?? "");
  if (uuid) names.push(`${uuid}${extension}`);
  names.push(`default${extension}`);
  return names;
}

function findFile(dir: string, names: string[]): string | undefined {
  for (const name of names) {
    const path = join(dir, name);
    if (existsSync(path) && statSync(path).isFile()) return path;
  }
  return undefined;
}

const text = (status: number, body: string) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/** The request handler (Bun.serve's `fetch`), separate from the listening so it can be reused. */
export function createPxeHandler(options: PxeServerOptions): (request: Request) => Response {
  const describe = (params: URLSearchParams) =>
    `mac=${params.get("mac") ?? ""} uuid=${params.get("uuid") ?? ""}`.trim();

  const route = (request: Request): { response: Response; detail: string } => {
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD")
      return { response: text(405, "only GET and HEAD\n"), detail: "method not allowed" };
    const base = options.baseUrl ?? `http://${request.headers.get("host") ?? url.host}`;

    if (url.pathname.startsWith("/assets/")) {
      const name = decodeURIComponent(url.pathname.slice("/assets/".length));
      if (!SAFE_NAME.test(name))
        return { response: text(400, `bad asset name "${name}"\n`), detail: "bad name" };
      const path = join(options.assetsDir, name);
      if (!existsSync(path) || !statSync(path).isFile())
        return {
          response: text(404, `no asset "${name}" in ${options.assetsDir}\n`),
          detail: "not found",
        };
      return {
        response: new Response(Bun.file(path), { headers: { "content-type": "application/octet-stream" } }),
        detail: path,
      };
    }

    if (url.pathname === "/boot.ipxe") {
      if (!url.searchParams.has("mac") && !url.searchParams.has("uuid")) {
        // Reached without the machine's identity (a DHCP boot file name, say): come back with it.
        const chain = `#!ipxe\nchain ${base}/boot.ipxe?mac=\${mac}&uuid=\${uuid}\n`;
        return { response: text(200, chain), detail: "chain with mac and uuid" };
      }
      const custom = findFile(options.configsDir, candidateNames(url.searchParams, ".ipxe"));
      if (custom) return { response: text(200, readFileSync(custom, "utf8")), detail: custom };
      const templatePath = join(options.assetsDir, "boot.ipxe");
      if (!existsSync(templatePath))
        return { response: text(500, `${templatePath} is missing\n`), detail: "no template" };
      const script = renderIpxeScript({
        template: readFileSync(templatePath, "utf8"),
        assetsUrl: `${base}/assets`,
        configUrl: `${base}/config?mac=\${mac}&uuid=\${uuid}`,
      });
      return { response: text(200, script), detail: `rendered for ${describe(url.searchParams)}` };
    }

    if (url.pathname === "/config") {
      const names = candidateNames(url.searchParams, ".yaml");
      const path = findFile(options.configsDir, names);
      if (!path) {
        const body =
          `no machine config for ${describe(url.searchParams) || "this machine"}: ` +
          `none of ${names.join(", ")} is in ${options.configsDir}; ` +
          "the node stays in maintenance mode (osctl apply-config --insecure)\n";
        return { response: text(404, body), detail: "no config: maintenance mode" };
      }
      return {
        response: new Response(readFileSync(path), { headers: { "content-type": "application/yaml" } }),
        detail: path,
      };
    }

    if (url.pathname === "/" || url.pathname === "/healthz")
      return { response: text(200, "bronze pxe server: /assets/<file> /boot.ipxe /config\n"), detail: "" };
    return { response: text(404, `unknown path ${url.pathname}\n`), detail: "unknown path" };
  };

  return (request) => {
    const url = new URL(request.url);
    let result: { response: Response; detail: string };
    try {
      result = route(request);
    } catch (error) {
      result = { response: text(500, `${(error as Error).message}\n`), detail: (error as Error).message };
    }
    options.log(
      `${request.method} ${url.pathname}${url.search} -> ${result.response.status}${result.detail ? ` ${result.detail}` : ""}`,
    );
    return result.response;
  };
}

export interface ListenAddress {
  hostname: string;
  port: number;
}

export class PxeServeError extends Error {
  override readonly name = "PxeServeError";
  constructor(
    readonly code: "BadListen" | "BadDirectory",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses `ADDR:PORT`, `:PORT` or `[v6]:PORT`. Without an address, 127.0.0.1: the server hands out
 * machine configs, CA keys included, to whoever asks, so reaching the network takes an address.
 */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new PxeServeError("BadListen", `--listen: "${value}" is not ADDR:PORT (e.g. 10.0.0.1:8080)`);
  return { hostname: match[1] ?? (match[2] || "127.0.0.1"), port };
}

export function startPxeServer(options: PxeServerOptions & { listen: ListenAddress }) {
  for (const [flag, dir] of [
    ["--assets", options.assetsDir],
    ["--configs", options.configsDir],
  ] as const) {
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new PxeServeError("BadDirectory", `${flag}: ${dir} is not a directory`);
  }
  const handler = createPxeHandler(options);
  return Bun.serve({ hostname: options.listen.hostname, port: options.listen.port, fetch: handler });
}
