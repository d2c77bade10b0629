/**
 * `DATABASE_URL=postgres://… npm run dev:edge -- [wrangler dev options]`:
 * the Worker in a local workerd (wrangler dev) against that PostgreSQL,
 * with no network and no Cloudflare login needed.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { wranglerEnvironment } from "./wrangler-env";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error(
    "dev:edge needs DATABASE_URL=postgres://… (the Worker has no embedded database); " + "migrate it first with `DATABASE_URL=… npm run cli -- migrate`",
  );
  process.exit(2);
}
let env: Record<string, string>;
try {
  env = wranglerEnvironment(process.env, databaseUrl);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const child = spawn(process.execPath, [wrangler, "dev", ...process.argv.slice(2)], { env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
