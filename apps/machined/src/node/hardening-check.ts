import type { KernelArgs, Platform } from "./kernel-args.ts";

/** A kernel argument Bronze refuses to boot without (docs/design.md §2, Talos's KSPP enforcement). */
export interface RequiredKernelArg {
  readonly key: string;
  /** The required value; null for a flag (`slab_nomerge`). */
  readonly value: string | null;
  /** Why it matters, printed on the console when it is missing. */
  readonly why: string;
}

export const REQUIRED_KERNEL_ARGS: readonly RequiredKernelArg[] = [
  {
    key: "slab_nomerge",
    value: null,
    why: "keeps each kernel slab cache separate, so that a heap overflow in one cache cannot reach the objects of another merged with it",
  },
  {
    key: "pti",
    value: "on",
    why: "forces kernel page-table isolation (the Meltdown mitigation) on every CPU, so that kernel memory is not mapped while user code runs",
  },
];

export interface HardeningProblem {
  readonly key: string;
  /** What the command line has: undefined when absent. */
  readonly found: string | null | undefined;
  readonly message: string;
}

export type HardeningResult =
  | { readonly status: "ok" }
  | { readonly status: "skipped"; readonly reason: string }
  | { readonly status: "refused"; readonly problems: readonly HardeningProblem[] };

function render(key: string, value: string | null): string {
  return value === null ? key : `${key}=${value}`;
}

/** Checks the required hardening arguments; container mode skips it (the host kernel is not ours). */
export function checkHardening(
  args: KernelArgs,
  platform: Platform,
  required: readonly RequiredKernelArg[] = REQUIRED_KERNEL_ARGS,
): HardeningResult {
  if (platform === "container") {
    return {
      status: "skipped",
      reason: "container mode: the host's kernel is not Bronze's, its command line is not checked",
    };
  }
  const problems: HardeningProblem[] = [];
  for (const req of required) {
    const values = args.values(req.key);
    const found = values.length === 0 ? undefined : values[values.length - 1];
    const want = render(req.key, req.value);
    if (found === undefined) {
      problems.push({ key: req.key, found, message: `missing kernel argument ${want}: it ${req.why}` });
    } else if (found !== req.value) {
      problems.push({
        key: req.key,
        found,
        message: `kernel argument ${render(req.key, found)} must be ${want}: it ${req.why}`,
      });
    }
  }
  return problems.length === 0 ? { status: "ok" } : { status: "refused", problems };
}

/** Console lines explaining a refusal (one per problem, then what to do). */
export function describeRefusal(problems: readonly HardeningProblem[]): string[] {
  return [
    "refusing to boot: required kernel hardening arguments are missing or wrong",
    ...problems.map((p) => `  - ${p.message}`),
    `add ${REQUIRED_KERNEL_ARGS.map((r) => render(r.key, r.value)).join(" ")} to the kernel command line and boot again`,
  ];
}

/** Thrown by the boot's hardening task: the boot stops, machined keeps running. */
export class HardeningError extends Error {
  override readonly name = "HardeningError";
  readonly code = "HardeningRequired";
  constructor(readonly problems: readonly HardeningProblem[]) {
    super(`kernel hardening arguments missing or wrong: ${problems.map((p) => p.key).join(", ")}`);
  }
}
