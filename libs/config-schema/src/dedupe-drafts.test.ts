import { expect, test } from "bun:test";
import { dedupeDrafts } from "./dedupe-drafts.ts";
import { type FieldPath, formatPath } from "./field-path.ts";
import { draft, type IssueDraft } from "./issue-draft.ts";

/** The quadratic original (validate.ts at c7f4ca1), kept as the reference for the linear one. */
function reference(drafts: IssueDraft[]): IssueDraft[] {
  const required = drafts
    .filter((d) => d.code === "required")
    .map((d) => ({ doc: d.document, path: formatPath(d.path) }));
  const seen = new Set<string>();
  return drafts.filter((d) => {
    const path = formatPath(d.path);
    const key = `${d.document}|${path}|${d.code}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (d.code !== "required") return true;
    const sameRequired = `${d.document}|${path}|required|`;
    for (const s of seen) if (s !== key && s.startsWith(sameRequired)) return false;
    return !required.some(
      (r) =>
        r.doc === d.document &&
        r.path !== path &&
        (path.startsWith(`${r.path}.`) || path.startsWith(`${r.path}[`)),
    );
  });
}

test("drops repeats, a second required at one place, and required under a missing ancestor", () => {
  const drafts = [
    draft(0, ["machine", "ca"], "required", "required field is missing"),
    draft(0, ["machine", "ca", "crt"], "required", "required field is missing"),
    draft(0, ["machine", "token"], "required", "required field is missing"),
    draft(0, ["machine", "token"], "required", "a worker needs a token"),
    draft(0, ["machine", "type"], "invalid_value", "must be worker"),
    draft(0, ["machine", "type"], "invalid_value", "must be worker"),
    draft(1, ["machine", "ca", "crt"], "required", "required field is missing"),
    draft(0, ["machine", "ca", "crt"], "invalid_pem", "not PEM"),
  ];
  expect(dedupeDrafts(drafts)).toEqual([
    drafts[0],
    drafts[2],
    drafts[4],
    drafts[6],
    drafts[7],
  ] as IssueDraft[]);
});

test("same result as the quadratic original on random drafts", () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const segments: FieldPath[number][] = ["machine", "files", 0, 1, "ca", "crt", "a.b", "x y"];
  for (let round = 0; round < 200; round++) {
    const drafts = Array.from({ length: 1 + rand(40) }, () => {
      const path = Array.from(
        { length: rand(4) },
        () => segments[rand(segments.length)] as FieldPath[number],
      );
      const code = ["required", "required", "invalid_type", "unknown_field"][rand(4)] as string;
      return draft(rand(2), path, code, ["m1", "m2"][rand(2)] as string);
    });
    expect(dedupeDrafts(drafts)).toEqual(reference(drafts));
  }
});

test("linear: 16,000 required issues of 4,000 empty machine.files entries", () => {
  const drafts: IssueDraft[] = [];
  for (let i = 0; i < 4000; i++)
    for (const field of ["content", "permissions", "path", "op"])
      drafts.push(draft(0, ["machine", "files", i, field], "required", "required field is missing"));
  expect(dedupeDrafts(drafts)).toHaveLength(16_000);
});
