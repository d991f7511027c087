/** An edit script entry: a line kept, removed from `a` or added from `b`. */
type Op = { kind: " " | "-" | "+"; line: string };

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Myers' O(ND) shortest edit script between two line arrays. */
function editScript(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))
          ? (v[offset + k + 1] ?? 0)
          : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        v = next;
        trace.push(v);
        break outer;
      }
    }
    v = next;
  }
  // Walk the trace back from (n, m).
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d] as Int32Array;
    const k = x - y;
    const down = k === -d || (k !== d && (vd[offset + k - 1] ?? 0) < (vd[offset + k + 1] ?? 0));
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (vd[offset + prevK] ?? 0);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: " ", line: a[x - 1] as string });
      x--;
      y--;
    }
    if (d === 0) break;
    if (down) ops.push({ kind: "+", line: b[prevY] as string });
    else ops.push({ kind: "-", line: a[prevX] as string });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: " ", line: a[x - 1] as string });
    x--;
    y--;
  }
  return ops.reverse();
}

/**
 * A unified diff (as `diff -u`) of two texts, line by line, with `context` lines around each change.
 * Empty when they are equal.
 */
export function unifiedDiff(
  a: string,
  b: string,
  options: { from?: string; to?: string; context?: number } = {},
): string {
  const context = options.context ?? 3;
  const ops = editScript(splitLines(a), splitLines(b));
  if (ops.every((op) => op.kind === " ")) return "";
  const out = [`--- ${options.from ?? "a"}`, `+++ ${options.to ?? "b"}`];
  // Positions (1-based) in a and b before each op.
  const posA: number[] = [];
  const posB: number[] = [];
  let la = 1;
  let lb = 1;
  for (const op of ops) {
    posA.push(la);
    posB.push(lb);
    if (op.kind !== "+") la++;
    if (op.kind !== "-") lb++;
  }
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
