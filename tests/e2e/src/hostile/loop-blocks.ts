// PID 1's event-loop blocks as machined reports them on its console: a monitor in machined logs
// `event loop blocked for <N> ms` whenever it sees its loop held for over 100 ms.

export interface LoopBlock {
  /** The console line's ISO timestamp, when it has one. */
  readonly at?: string;
  readonly ms: number;
}

const LINE = /^(?:(\d{4}-\d\d-\d\dT[\d:.]+Z) )?.*\bevent loop blocked for (\d+(?:\.\d+)?) ?ms\b/;

/** Every report of a blocked event loop in a console text, in order. */
export function parseLoopBlocks(text: string): LoopBlock[] {
  const blocks: LoopBlock[] = [];
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (m === null) continue;
    blocks.push(m[1] === undefined ? { ms: Number(m[2]) } : { at: m[1], ms: Number(m[2]) });
  }
  return blocks;
}
