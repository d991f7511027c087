/** An edit script entry: a line kept, removed from `a` or added from `b`. */
type Op = { kind: " " | "-" | "+"; line: string };

/**
 * How many steps (diagonals tried plus matching lines followed) the edit script may take. Myers'
 * search costs about (N+M)·D steps for D changed lines; past this budget the rest of the texts is
 * given as "remove these, add those": still a correct diff, only not the shortest. 5M steps cost
 * a few validations of a real config (unified-diff.bench.ts); a few changes to a config of
 * thousands of lines take far fewer.
 */
export const DIFF_STEP_BUDGET = 5_000_000;

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/**
 * Myers' O(ND) shortest edit script in linear space: bisect at the middle snake, recurse on both
 * halves (as diff-match-patch and GNU diff do). Lines are compared as small integers.
 */
class EditScript {
  readonly ops: Op[] = [];
  private steps = 0;
  private readonly a: Int32Array;
  private readonly b: Int32Array;

  constructor(
    private readonly linesA: string[],
    private readonly linesB: string[],
    private readonly budget: number,
  ) {
    const ids = new Map<string, number>();
    const id = (line: string) => {
      let n = ids.get(line);
      if (n === undefined) {
        n = ids.size;
        ids.set(line, n);
      }
      return n;
    };
    this.a = Int32Array.from(linesA, id);
    this.b = Int32Array.from(linesB, id);
    this.diff(0, this.a.length, 0, this.b.length);
  }

  private keep(from: number, to: number): void {
    for (let i = from; i < to; i++) this.ops.push({ kind: " ", line: this.linesA[i] as string });
  }

  private replace(aLo: number, aHi: number, bLo: number, bHi: number): void {
    for (let i = aLo; i < aHi; i++) this.ops.push({ kind: "-", line: this.linesA[i] as string });
    for (let j = bLo; j < bHi; j++) this.ops.push({ kind: "+", line: this.linesB[j] as string });
  }

  private diff(aLo: number, aHi: number, bLo: number, bHi: number): void {
    const { a, b } = this;
    let prefix = 0;
    while (aLo + prefix < aHi && bLo + prefix < bHi && a[aLo + prefix] === b[bLo + prefix]) prefix++;
    this.keep(aLo, aLo + prefix);
    aLo += prefix;
    bLo += prefix;
    let suffix = 0;
    while (aHi - suffix > aLo && bHi - suffix > bLo && a[aHi - suffix - 1] === b[bHi - suffix - 1]) suffix++;
    aHi -= suffix;
    bHi -= suffix;
    if (aLo === aHi || bLo === bHi) this.replace(aLo, aHi, bLo, bHi);
    else {
      const split = this.bisect(aLo, aHi, bLo, bHi);
      if (split === undefined) this.replace(aLo, aHi, bLo, bHi);
      else {
        this.diff(aLo, split[0], bLo, split[1]);
        this.diff(split[0], aHi, split[1], bHi);
      }
    }
    this.keep(aHi, aHi + suffix);
  }

  /**
   * A point on a shortest edit path (the end of the middle snake), found by searching forward from
   * the start and backward from the end at once; undefined when the budget runs out.
   */
  private bisect(aLo: number, aHi: number, bLo: number, bHi: number): [number, number] | undefined {
    const { a, b } = this;
    const n = aHi - aLo;
    const m = bHi - bLo;
    const maxD = Math.ceil((n + m) / 2);
    const offset = maxD;
    const length = 2 * maxD + 2;
    const forward = new Int32Array(length).fill(-1);
    const backward = new Int32Array(length).fill(-1);
    forward[offset + 1] = 0;
    backward[offset + 1] = 0;
    const delta = n - m;
    // With an odd delta the paths meet on a forward step, with an even one on a backward step.
    const front = (delta & 1) !== 0;
    // Diagonals that ran off the edges are skipped from then on.
    let k1start = 0;
    let k1end = 0;
    let k2start = 0;
    let k2end = 0;
    for (let d = 0; d < maxD; d++) {
      if (this.steps >= this.budget) return undefined;
      for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
        const k1i = offset + k1;
        let x1 =
          k1 === -d || (k1 !== d && (forward[k1i - 1] as number) < (forward[k1i + 1] as number))
            ? (forward[k1i + 1] as number)
            : (forward[k1i - 1] as number) + 1;
        let y1 = x1 - k1;
        const start1 = x1;
        while (x1 < n && y1 < m && a[aLo + x1] === b[bLo + y1]) {
          x1++;
          y1++;
        }
        this.steps += x1 - start1 + 1;
        forward[k1i] = x1;
        if (x1 > n) k1end += 2;
        else if (y1 > m) k1start += 2;
        else if (front) {
          const k2i = offset + delta - k1;
          if (k2i >= 0 && k2i < length && backward[k2i] !== -1 && x1 >= n - (backward[k2i] as number)) {
            return [aLo + x1, bLo + y1];
          }
        }
      }
      for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
        const k2i = offset + k2;
        let x2 =
          k2 === -d || (k2 !== d && (backward[k2i - 1] as number) < (backward[k2i + 1] as number))
            ? (backward[k2i + 1] as number)
            : (backward[k2i - 1] as number) + 1;
        let y2 = x2 - k2;
        const start2 = x2;
        while (x2 < n && y2 < m && a[aHi - x2 - 1] === b[bHi - y2 - 1]) {
          x2++;
          y2++;
        }
        this.steps += x2 - start2 + 1;
        backward[k2i] = x2;
        if (x2 > n) k2end += 2;
        else if (y2 > m) k2start += 2;
        else if (!front) {
          const k1i = offset + delta - k2;
          if (k1i >= 0 && k1i < length && forward[k1i] !== -1) {
            const x1 = forward[k1i] as number;
            const y1 = x1 - (k1i - offset);
            if (x1 >= n - x2) return [aLo + x1, bLo + y1];
          }
        }
      }
    }
    return undefined;
  }
}

/** Within each run of changes, removals first, then additions (as `diff -u` prints them). */
function removalsFirst(ops: Op[]): Op[] {
  const out: Op[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]?.kind === " ") {
      out.push(ops[i] as Op);
      i++;
      continue;
    }
    let end = i;
    while (end < ops.length && ops[end]?.kind !== " ") end++;
    for (let j = i; j < end; j++) if (ops[j]?.kind === "-") out.push(ops[j] as Op);
    for (let j = i; j < end; j++) if (ops[j]?.kind === "+") out.push(ops[j] as Op);
    i = end;
  }
  return out;
}

/**
 * A unified diff (as `diff -u`) of two texts, line by line, with `context` lines around each change.
 * Empty when they are equal. Memory is linear in the texts; time is bounded by DIFF_STEP_BUDGET,
 * past which the remaining changes are shown as whole blocks removed and added.
 */
export function unifiedDiff(
  a: string,
  b: string,
  options: { from?: string; to?: string; context?: number; stepBudget?: number } = {},
): string {
  const context = options.context ?? 3;
  const ops = removalsFirst(
    new EditScript(splitLines(a), splitLines(b), options.stepBudget ?? DIFF_STEP_BUDGET).ops,
  );
  if (ops.every((op) => op.kind === " ")) return "";
  const out = [`--- ${options.from ?? "a"}`, `+++ ${options.to ?? "b"}`];
  // Positions (1-based) in a and b before each op.
  const posA = new Int32Array(ops.length);
  const posB = new Int32Array(ops.length);
  let la = 1;
  let lb = 1;
  ops.forEach((op, i) => {
    posA[i] = la;
    posB[i] = lb;
    if (op.kind !== "+") la++;
    if (op.kind !== "-") lb++;
  });
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]?.kind === " ") i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while changes are within 2*context lines of each other.
    for (;;) {
      while (end < ops.length && ops[end]?.kind !== " ") end++;
      let same = end;
      while (same < ops.length && ops[same]?.kind === " ") same++;
      if (same < ops.length && same - end <= 2 * context) {
        end = same;
        continue;
      }
      end = Math.min(ops.length, end + context);
      break;
    }
    const hunk = ops.slice(start, end);
    const countA = hunk.filter((op) => op.kind !== "+").length;
    const countB = hunk.filter((op) => op.kind !== "-").length;
    const startA = countA === 0 ? (posA[start] ?? 1) - 1 : (posA[start] ?? 1);
    const startB = countB === 0 ? (posB[start] ?? 1) - 1 : (posB[start] ?? 1);
    out.push(`@@ -${startA},${countA} +${startB},${countB} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.line}`);
    i = end;
  }
  return `${out.join("\n")}\n`;
}
