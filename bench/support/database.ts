/** The benchmarks' database: PGlite in a temporary folder, or one of their own on BENCH_DATABASE_URL's server. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { openDatabase, type OpenDatabase, type OpenOptions } from "../../src/storage/open";

/** `target` opens the same database again, in another process (PGlite: once this one has closed it). */
export async function benchDatabase(): Promise<{ opened: OpenDatabase; target: OpenOptions; dispose(): Promise<void> }> {
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), "feedwerk-bench-"));
    return { opened: await openDatabase({ dataDir: dir }), target: { dataDir: dir }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const name = `feedwerk_bench_${process.pid}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    opened: await openDatabase({ url: url.toString() }),
    target: { url: url.toString() },
    dispose: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
