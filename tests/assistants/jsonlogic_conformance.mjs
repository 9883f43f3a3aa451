// Reference runner for the browser-parity test of kreiswerk.assistants.rules.
// Usage: node jsonlogic_conformance.mjs CASES.json
// CASES.json holds [{"rule": ..., "data": ...}, ...]; prints one JSON array with
// {"ok": result} or {"error": message} per case, in order.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const jsonLogic = require("json-logic-js");

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = cases.map(({ rule, data }) => {
  try {
    const value = jsonLogic.apply(rule, data);
    return { ok: value === undefined ? null : value };
  } catch (error) {
    return { error: String(error && error.message) };
  }
});
process.stdout.write(JSON.stringify(results));
