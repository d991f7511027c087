import { formatIssue, type MachineConfig, type Mode, validateConfig } from "@bronze/config-schema";
import type { Clock } from "../clock.ts";
import { BodyTooLargeError, readTextCapped, redactUrl } from "../network/http-body.ts";
import { substituteUrl, UrlSubstitutionError, type UrlVariableProviders } from "./url-variables.ts";

/** What acquisition needs of the config store. */
export interface ConfigSource {
  current(): string | undefined;
  save(text: string): void;
  promoteStaged(): boolean;
}

export type FetchFn = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export interface FetchRetry {
  /** Attempts before giving up (default 8). */
  readonly attempts: number;
  /** Wait after the first failure (default 1 s), multiplied by `factor` (default 2) each time... */
  readonly initialDelayMs: number;
  readonly factor: number;
  /** ...up to this (default 30 s). */
  readonly maxDelayMs: number;
  /** One attempt's time limit (default 30 s). */
  readonly timeoutMs: number;
}

/** The largest config downloaded at boot: the config schema refuses more anyway (its size limit). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export const DEFAULT_FETCH_RETRY: FetchRetry = {
  attempts: 8,
  initialDelayMs: 1000,
  factor: 2,
  maxDelayMs: 30_000,
  timeoutMs: 30_000,
};

export interface AcquisitionOptions {
  readonly store: ConfigSource;
  /** `bronze.config=` (or container mode's URL argument), unsubstituted. */
  readonly url?: string;
  readonly mode: Mode;
  readonly fetch: FetchFn;
  readonly clock: Clock;
  readonly variables: UrlVariableProviders;
  readonly log: (line: string) => void;
  readonly retry?: Partial<FetchRetry>;
  readonly signal?: AbortSignal;
  readonly provided?: ProvidedConfig;
}

export type Acquired =
  | {
      readonly mode: "configured";
      readonly source: "provided" | "state" | "url";
      readonly config: MachineConfig;
      readonly text: string;
    }
  | { readonly mode: "maintenance"; readonly reason: string };

/** Validates `text`, logging every issue with `label`; returns the config when valid. */
function validate(
  text: string,
  mode: Mode,
  label: string,
  log: (line: string) => void,
): MachineConfig | undefined {
  const result = validateConfig(text, { mode });
  for (const w of result.warnings) log(`${label}: ${formatIssue(w)}`);
  if (result.ok && result.config !== undefined) return result.config;
  log(`${label} is not a valid machine config (${result.errors.length} error(s)):`);
  for (const e of result.errors) log(`  ${label}: ${formatIssue(e)}`);
  return undefined;
}

/** A config given directly (container mode's `--config FILE`). */
export interface ProvidedConfig {
  readonly text: string;
  /** Where it came from, for messages: the file name. */
  readonly origin: string;
}

export interface InitialConfigOptions {
  readonly store: ConfigSource;
  readonly mode: Mode;
  readonly log: (line: string) => void;
  readonly provided?: ProvidedConfig;
}

/**
 * The configs available without the network: a provided one (saved to the store when valid), then
 * the STATE store (a staged config promoted first). Undefined when there is none, or none valid.
 */
export function loadInitialConfig(options: InitialConfigOptions): Acquired | undefined {
  const { store, log, mode, provided } = options;
  if (provided !== undefined) {
    const config = validate(provided.text, mode, provided.origin, log);
    if (config !== undefined) {
      store.save(provided.text);
      log(`config: using ${provided.origin} (saved to STATE)`);
      return { mode: "configured", source: "provided", config, text: provided.text };
    }
    log(`config: ignoring ${provided.origin}`);
  }
  if (store.promoteStaged()) log("config: the staged config becomes the config in force");
  const stored = store.current();
  if (stored !== undefined) {
    const config = validate(stored, mode, "stored config", log);
    if (config !== undefined) {
      log("config: using the config from STATE");
      return { mode: "configured", source: "state", config, text: stored };
    }
    log("config: ignoring the stored config");
  }
  return undefined;
}

export type DownloadOptions = Omit<AcquisitionOptions, "provided">;

/**
 * The `bronze.config=` URL: variables substituted, fetched with retries and exponential backoff,
 * validated, saved to the store; otherwise (no URL, unknown variable, download failed, invalid config)
 * maintenance mode. Never throws for a missing or bad config.
 */
export async function downloadConfig(options: DownloadOptions): Promise<Acquired> {
  const { store, log, mode } = options;
  if (options.url === undefined) {
    log("config: no config stored and no bronze.config= URL: entering maintenance mode");
    return { mode: "maintenance", reason: "no config stored and no bronze.config= URL" };
  }

  let url: string;
  try {
    url = substituteUrl(options.url, options.variables);
  } catch (err) {
    if (!(err instanceof UrlSubstitutionError)) throw err;
    log(`config: ${err.message}: entering maintenance mode`);
    return { mode: "maintenance", reason: err.message };
  }

  // The URL may carry a token (userinfo, query): what is logged or shown never does.
  const shown = redactUrl(url);
  let text: string | undefined;
  try {
    text = await fetchWithRetry(url, shown, options);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    log(`config: ${err.message}: entering maintenance mode`);
    return { mode: "maintenance", reason: err.message };
  }
  if (text === undefined) {
    return { mode: "maintenance", reason: `could not download the config from ${shown}` };
  }
  const config = validate(text, mode, `config from ${shown}`, log);
  if (config === undefined) {
    log("config: the downloaded config is invalid: entering maintenance mode");
    return { mode: "maintenance", reason: `the config from ${shown} is invalid` };
  }
  store.save(text);
  log(`config: downloaded from ${shown} and saved`);
  return { mode: "configured", source: "url", config, text };
}

/**
 * Finds the machine config (docs/design.md §2): a provided one, the STATE store, then the `bronze.config=`
 * URL, otherwise maintenance mode.
 */
export async function acquireConfig(options: AcquisitionOptions): Promise<Acquired> {
  return loadInitialConfig(options) ?? (await downloadConfig(options));
}

/** The delay before attempt `n+1` after `n` failures (n >= 1). */
export function retryDelay(failures: number, retry: FetchRetry): number {
  return Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.factor ** (failures - 1));
}

async function fetchWithRetry(
  url: string,
  shown: string,
  options: DownloadOptions,
): Promise<string | undefined> {
  const retry = { ...DEFAULT_FETCH_RETRY, ...options.retry };
  const { clock, log, signal } = options;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    if (signal?.aborted) return undefined;
    log(`config: downloading ${shown} (attempt ${attempt} of ${retry.attempts})`);
    const attemptAbort = new AbortController();
    const onAbort = () => attemptAbort.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = clock.sleep(retry.timeoutMs, attemptAbort.signal).then((elapsed) => {
      if (elapsed) attemptAbort.abort();
      return elapsed;
    });
    let failure: string;
    try {
      const response = await options.fetch(url, { signal: attemptAbort.signal });
      if (response.ok) return await readTextCapped(response, MAX_CONFIG_BYTES, `the config at ${shown}`);
      failure = `HTTP ${response.status} ${response.statusText}`.trim();
      await response.body?.cancel().catch(() => {});
    } catch (err) {
      // A config too large stays too large: no retry.
      if (err instanceof BodyTooLargeError) throw err;
      failure =
        attemptAbort.signal.aborted && !signal?.aborted
          ? `no answer within ${retry.timeoutMs} ms`
          : err instanceof Error
            ? err.message
            : String(err);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      attemptAbort.abort();
      await timer;
    }
    if (attempt === retry.attempts) {
      log(`config: attempt ${attempt} failed: ${failure}; giving up after ${attempt} attempts`);
      break;
    }
    const delay = retryDelay(attempt, retry);
    log(`config: attempt ${attempt} failed: ${failure}; retrying in ${delay} ms`);
    if (!(await clock.sleep(delay, signal))) return undefined;
  }
  log("config: could not download the config: entering maintenance mode");
  return undefined;
}
