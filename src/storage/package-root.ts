/**
 * Where feedwerk's own files are (package.json, drizzle/, seeds/), from any
 * module: run as TypeScript from src/ or bundled into dist/ (scripts/build.mjs),
 * a module's own address says nothing of how deep it sits. The root is the
 * nearest folder above this module that holds feedwerk's package.json.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | null = null;

function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "feedwerk") {
      root = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`feedwerk's package.json is in no folder above ${fileURLToPath(import.meta.url)}`);
  }
}

/** The absolute path of a file or folder of the package: packageFile("drizzle"). */
export function packageFile(name: string): string {
  return join(packageRoot(), name);
}
