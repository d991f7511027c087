/** What went wrong while building the boot artifacts. */
export type ImageErrorCode =
  | "BadInput" // an argument, a profile, or a value given to a pure function is invalid
  | "ParseError" // apt/dpkg/modules.dep/ELF output we read is not what we expect
  | "NotFound" // a package, a module, a library or a file that must exist does not
  | "ToolFailed" // an external tool (apt-get, dpkg-deb, mksquashfs, zstd, bun build) failed
  | "DependencyCycle"; // modules.dep or a library graph has a cycle

/** The one error class of the image builder; `code` says which kind of failure, `message` names the culprit. */
export class ImageError extends Error {
  override readonly name = "ImageError";
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
