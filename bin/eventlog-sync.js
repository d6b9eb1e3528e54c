#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (`npm run build`; `npm ci` builds it through the prepare script).
let main;
try {
  ({ main } = await import("../dist/src/cli/main.js"));
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("dist/src/cli/main.js")) throw err;
  console.error("eventlog-sync: dist/ is missing: run `npm run build` first (`npm ci` builds it)");
  process.exit(1);
}
process.exitCode = await main(process.argv);
