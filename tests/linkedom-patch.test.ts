// feedwerk's linkedom carries patches/linkedom+0.18.15.patch (applied by `npm install`'s postinstall): a node keeps
// its listeners from the first addEventListener on, and a style declaration answers at once for an element with
// no style attribute. What the DOM does must not change: these are the behaviours the patch touches.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);

describe("linkedom as patched", () => {
  it("is the patched copy, in both its module forms", () => {
    const esm = require.resolve("linkedom").replace(/cjs[/\\]index\.js$/, "esm/index.js");
    for (const form of ["esm", "cjs"]) {
      const file = esm.replace(/esm[/\\]index\.js$/, `${form}/interface/event-target.js`);
      expect(readFileSync(file, "utf8"), `${file}: run npm install, whose postinstall applies patches/`).toContain("constructor() {}");
    }
  });

  it("dispatches to listeners added after the node was made, and removes them", () => {
    const { document, Event } = parseHTML("<html><body><div id=a><p id=b>x</p></div></body></html>");
    const a = document.getElementById("a")!;
    const b = document.getElementById("b")!;
    const heard: string[] = [];
    const onA = (e: { target: unknown }) => heard.push(`a:${(e.target as { id: string }).id}`);
    a.addEventListener("ping", onA);
    b.addEventListener("ping", () => heard.push("b"), { once: true });
    b.dispatchEvent(new Event("ping", { bubbles: true }));
    b.dispatchEvent(new Event("ping", { bubbles: true }));
    expect(heard).toEqual(["b", "a:b", "a:b"]);
    a.removeEventListener("ping", onA);
    // a node that never had a listener: removing one is no error, and dispatching reaches no one
    b.removeEventListener("ping", onA);
    a.dispatchEvent(new Event("ping"));
    expect(heard).toHaveLength(3);
  });

  it("reads styles with and without a style attribute, and after one is set", () => {
    const { document } = parseHTML('<html><body><p id=plain>x</p><p id=hidden style="display: none; font-size:12px">y</p></body></html>');
    const plain = document.getElementById("plain")!;
    const hidden = document.getElementById("hidden")!;
    expect([plain.style.display, plain.style.length, plain.style[0]]).toEqual(["", 0, undefined]);
    expect([hidden.style.display, hidden.style.fontSize, hidden.style.length, hidden.style[1]]).toEqual(["none", "12px", 2, "font-size"]);
    plain.style.visibility = "hidden";
    expect([plain.style.visibility, plain.getAttribute("style")]).toEqual(["hidden", "visibility:hidden"]);
    hidden.removeAttribute("style");
    expect([hidden.style.display, hidden.style.length]).toEqual(["", 0]);
  });
});
