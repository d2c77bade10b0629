/**
 * WebSub: feeds announce the hub, and an ingestion that changes feeds
 * notifies a hub (here a local stub that records what it is told).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSite } from "../src/entry/site";
import { createApp } from "../src/publish/app";
import { changedFeedUrls } from "../src/publish/websub";
import { backends } from "./support/databases";
import { cli } from "./support/cli";
import { xmlTree } from "./support/feeds";
import { startHubStub, type HubStub } from "./support/websub-hub";

const root = join(import.meta.dirname, "..");
const PUBLIC = "https://feeds.example.org";

describe("WebSub", () => {
  let hub: HubStub;
  beforeAll(async () => {
    hub = await startHubStub();
  });
  afterAll(() => hub.close());

  it("names the feeds a change touched", () => {
    expect(changedFeedUrls(`${PUBLIC}/`, ["ukraine"], true)).toEqual([
      `${PUBLIC}/feeds/ukraine.xml`,
      `${PUBLIC}/feeds/ukraine.atom`,
      `${PUBLIC}/feeds/ukraine.json`,
      `${PUBLIC}/feeds/all.xml`,
      `${PUBLIC}/feeds/all.atom`,
      `${PUBLIC}/feeds/all.json`,
    ]);
  });

  it("announces the hub in every format", async () => {
    const opened = await backends[0]!.open();
    try {
      const app = createApp({ db: opened.db, publicUrl: PUBLIC, hubUrl: "https://hub.example.org/" });
      const { ingestPage } = await import("../src/pipeline/ingest-page");
      const { readFileSync } = await import("node:fs");
      await ingestPage(opened.db, {
        name: "s",
        bytes: new Uint8Array(readFileSync(join(root, "seeds/000_fd0f4cb902b02a9c.txt"))),
        fetchedAt: new Date("2025-12-09T13:00:00Z"),
      });
      const rss = xmlTree(await (await app.fetch(new Request(`${PUBLIC}/feeds/ukraine.xml`))).text()) as any;
      expect(rss.rss[0].channel[0]["atom:link"].find((l: any) => l["@rel"] === "hub")["@href"]).toBe("https://hub.example.org/");
      const atom = xmlTree(await (await app.fetch(new Request(`${PUBLIC}/feeds/ukraine.atom`))).text()) as any;
      expect(atom.feed[0].link.find((l: any) => l["@rel"] === "hub")["@href"]).toBe("https://hub.example.org/");
      const json = (await (await app.fetch(new Request(`${PUBLIC}/feeds/ukraine.json`))).json()) as any;
      expect(json.hubs).toEqual([{ type: "WebSub", url: "https://hub.example.org/" }]);
    } finally {
      await opened.close();
    }
  });

  it("notifies the hub after a page is posted to the admin API, once the response is out", async () => {
    const opened = await backends[0]!.open();
    const token = "websub-test-token-0123456789";
    const tasks: Promise<unknown>[] = [];
    try {
      const { app } = createSite({ db: opened.db, publicUrl: PUBLIC, hubUrl: hub.url, adminToken: token, background: (task) => tasks.push(task) });
      const post = (name: string, fetchedAt: string) =>
        app.fetch(
          new Request(`${PUBLIC}/api/ingest?name=${name}&fetched_at=${fetchedAt}`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}` },
            body: readFileSync(join(root, "tests/pages", name)),
          }),
        );
      hub.pings.length = 0;
      expect((await post("seed-alaska.txt", "2025-12-09T13:00:00Z")).status).toBe(200);
      expect(tasks).toHaveLength(1);
      await Promise.all(tasks.splice(0));
      expect(hub.pings).toHaveLength(30); // the seed's 9 tags and "all", 3 formats each

      hub.pings.length = 0;
      const res = await post("prag-followup.txt", "2025-12-09T15:00:00Z");
      expect(((await res.json()) as { changed_tags: string[] }).changed_tags).toEqual(["babis", "europa", "regierung", "tschechien", "ukraine"]);
      await Promise.all(tasks.splice(0));
      const slugs = [...new Set(hub.pings.map((u) => u.replace(`${PUBLIC}/feeds/`, "").replace(/\.(xml|atom|json)$/, "")))].sort();
      expect(slugs).toEqual(["all", "babis", "europa", "regierung", "tschechien", "ukraine"]);

      hub.pings.length = 0;
      expect((await post("prag-followup.txt", "2025-12-09T15:00:00Z")).status).toBe(200);
      expect(tasks).toHaveLength(0);
      expect(hub.pings).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it("notifies the hub of exactly the feeds each ingestion changed", async () => {
    const scratch = await backends[0]!.scratch();
    const env = { ...scratch.env, FEEDWERK_HUB_URL: hub.url, FEEDWERK_PUBLIC_URL: PUBLIC };
    try {
      hub.pings.length = 0;
      const first = await cli(["ingest", "tests/pages/seed-alaska.txt", "--fetched-at", "2025-12-09T13:00:00Z"], env);
      expect(first.status).toBe(0);
      expect(hub.pings).toContain(`${PUBLIC}/feeds/ukraine.atom`);
      expect(hub.pings).toContain(`${PUBLIC}/feeds/all.json`);
      expect(first.stdout).toMatch(/websub: notified .* of 30 of 30 changed feeds/); // the 9 tags and "all", 3 formats each

      hub.pings.length = 0;
      const second = await cli(["ingest", "tests/pages/prag-followup.txt", "--fetched-at", "2025-12-09T15:00:00Z"], env);
      expect(second.status).toBe(0);
      const slugs = [...new Set(hub.pings.map((u) => u.replace(`${PUBLIC}/feeds/`, "").replace(/\.(xml|atom|json)$/, "")))].sort();
      expect(slugs).toEqual(["all", "babis", "europa", "regierung", "tschechien", "ukraine"]);
      expect(hub.pings).toHaveLength(18);

      hub.pings.length = 0;
      const again = await cli(["ingest", "tests/pages/prag-followup.txt", "--fetched-at", "2025-12-09T15:00:00Z"], env);
      expect(again.status).toBe(0);
      expect(hub.pings).toEqual([]);
      expect(again.stdout).not.toContain("websub");

      hub.status = 500;
      const failing = await cli(["ingest", "tests/pages/winter-no-image.txt", "--fetched-at", "2026-01-15T09:00:00Z"], env);
      expect(failing.status).toBe(0);
      expect(failing.stderr).toMatch(/warning: websub ping for https:\/\/feeds\.example\.org\/feeds\/\S+ failed: HTTP 500/);
    } finally {
      hub.status = 202;
      await scratch.dispose();
    }
  });
});
