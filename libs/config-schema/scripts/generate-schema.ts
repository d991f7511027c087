// Writes schema.json (the JSON Schema of the v1alpha1 machine config, generated from the zod
// schemas). With --check, compares instead and exits 1 when the committed file is stale.
import { machineConfigJsonSchema } from "../src/json-schema.ts";

const target = new URL("../schema.json", import.meta.url);
const expected = `${JSON.stringify(machineConfigJsonSchema(), null, 2)}\n`;
const file = Bun.file(target);

if (process.argv.includes("--check")) {
  const current = (await file.exists()) ? await file.text() : undefined;
  if (current !== expected) {
    const why = current === undefined ? "is missing" : "is stale (the zod schemas changed)";
    console.error(
      `libs/config-schema/schema.json ${why}: run \`bun run generate\` in libs/config-schema and commit the result`,
    );
    process.exit(1);
  }
  console.log("libs/config-schema/schema.json is up to date");
} else {
  await Bun.write(target, expected);
  console.log(`wrote libs/config-schema/schema.json (${expected.length} bytes)`);
}
