// The typed refusal of an etcd operation (node-etcd.ts, etcd-recovery.ts), with its API code.

/** A refusal of an etcd operation, with the API code it answers with. */
export class EtcdOperationError extends Error {
  override readonly name = "EtcdOperationError";
  constructor(
    readonly code: "FailedPrecondition" | "NotFound" | "InvalidArgument" | "Unavailable",
    message: string,
  ) {
    super(message);
  }
}
