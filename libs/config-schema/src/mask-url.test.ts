import { expect, test } from "bun:test";
import { maskUrls } from "./mask-url.ts";

test("masks userinfo, query and fragment; keeps scheme, host, port and path", () => {
  expect(maskUrls("http://svc:Pr0xyPassw0rd@proxy.example:3128")).toBe("http://******@proxy.example:3128");
  expect(maskUrls("https://assets.example/bronze/v1?X-Amz-Signature=abc&t=1")).toBe(
    "https://assets.example/bronze/v1?******",
  );
  expect(maskUrls("https://u:p@h/p?q=1#tok")).toBe("https://******@h/p?******#******");
  // The last @ before the path ends the userinfo (a password may hold an @).
  expect(maskUrls("https://u:p@ss@h/p")).toBe("https://******@h/p");
  expect(maskUrls("tcp://10.0.0.1:5170")).toBe("tcp://10.0.0.1:5170");
});

test("finds URLs inside other text (kernel arguments, flags)", () => {
  expect(maskUrls("bronze.config=https://u:secret@cfg.example/c.yaml?token=x console=ttyS0")).toBe(
    "bronze.config=https://******@cfg.example/c.yaml?****** console=ttyS0",
  );
  expect(maskUrls("no url here: user:pass@host")).toBe("no url here: user:pass@host");
});
