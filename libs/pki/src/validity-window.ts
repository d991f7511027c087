import { PkiError } from "./pki-error.ts";

const DAY_MS = 86_400_000;

/** notBefore is set this far before `now`, so that a peer whose clock is a little behind accepts the cert. */
export const DEFAULT_BACKDATE_SECONDS = 60;

export interface ValidityOptions {
  now?: Date;
  validityDays: number;
  backdateSeconds?: number;
}

export interface ValidityWindow {
  notBefore: Date;
  notAfter: Date;
}

/** [now - backdate, now + validityDays], truncated to whole seconds as X.509 times are. */
export function validityWindow(options: ValidityOptions): ValidityWindow {
  const now = options.now ?? new Date();
  const backdateSeconds = options.backdateSeconds ?? DEFAULT_BACKDATE_SECONDS;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new PkiError("invalid-argument", "now: not a valid Date");
  }
  if (!Number.isFinite(options.validityDays) || options.validityDays <= 0) {
    throw new PkiError(
      "invalid-argument",
      `validityDays: must be a positive number, got ${options.validityDays}`,
    );
  }
  if (!Number.isFinite(backdateSeconds) || backdateSeconds < 0) {
    throw new PkiError(
      "invalid-argument",
      `backdateSeconds: must be zero or positive, got ${backdateSeconds}`,
    );
  }
  const nowMs = Math.floor(now.getTime() / 1000) * 1000;
  return {
    notBefore: new Date(nowMs - backdateSeconds * 1000),
    notAfter: new Date(nowMs + Math.round(options.validityDays * DAY_MS)),
  };
}
