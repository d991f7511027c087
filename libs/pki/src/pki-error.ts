export type PkiErrorCode =
  | "invalid-argument"
  | "invalid-pem"
  | "invalid-key"
  | "unsupported-algorithm"
  | "invalid-certificate"
  | "invalid-csr"
  | "key-mismatch"
  | "san-not-allowed"
  | "expired"
  | "not-yet-valid"
  | "bad-signature"
  | "unknown-issuer"
  | "not-a-ca"
  | "invalid-bundle";

/** One problem found while validating a document, e.g. a secrets bundle. */
export interface PkiProblem {
  /** Dotted field path, e.g. `certs.os.key`. */
  path: string;
  message: string;
  /** 1-based line in the source document, when known. */
  line?: number;
}

/** The one error type thrown by @bronze/pki. */
export class PkiError extends Error {
  override readonly name = "PkiError";
  readonly code: PkiErrorCode;
  /** Every problem found (set for "invalid-bundle"). */
  readonly problems: readonly PkiProblem[];

  constructor(code: PkiErrorCode, message: string, options?: { problems?: PkiProblem[]; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options?.problems ?? [];
  }
}
