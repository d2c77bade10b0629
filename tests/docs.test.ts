/** What the documentation promises about the repository itself: secrets kept out of it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const read = (name: string) => readFileSync(join(root, name), "utf8");

describe("the local Worker's secrets", () => {
  it("go in .dev.vars, which the README explains and .gitignore keeps out of the repository", () => {
    const ignored = read(".gitignore").split("\n");
    for (const name of [".dev.vars", ".env"]) expect(ignored, name).toContain(name);
    expect(read("README.md")).toMatch(/FEEDWERK_ADMIN_TOKEN="[^"]+"' > \.dev\.vars/);
  });
});
