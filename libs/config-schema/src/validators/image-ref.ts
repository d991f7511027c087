// A container image reference: [registry[:port]/]path[:tag][@sha256:digest]
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REGISTRY =
  "(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)";
const IMAGE_REF = new RegExp(
  `^(${REGISTRY}?${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`,
);

export interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(text: string): ImageRef | undefined {
  const m = IMAGE_REF.exec(text);
  if (!m) return undefined;
  const ref: ImageRef = { name: m[1] as string };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = m[3];
  return ref;
}

export function validateImageRef(text: string): string | undefined {
  return parseImageRef(text)
    ? undefined
    : `"${text}" is not a valid image reference (expected [registry/]repository[:tag][@sha256:digest], lowercase)`;
}
