/**
 * The feed fetcher against a local HTTP server: compression, validators,
 * redirects, limits, Retry-After, and the address policy that keeps user
 * URLs away from private networks. Refused addresses are refused before any
 * packet is sent.
 */
import { createServer, type Server } from "node:http";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddressPolicy, allowHint } from "../src/input/fetch/address-policy";
import { DEFAULT_LIMITS, FeedFetcher, FetchError } from "../src/input/fetch/http-fetch";

const FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://x.example/</link><description>d</description></channel></rss>';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    const send = (status: number, headers: Record<string, string | number>, body?: Buffer | string) => {
      res.writeHead(status, headers);
      res.end(body);
    };
    switch (path) {
      case "/plain":
        return send(200, { "content-type": "application/rss+xml", etag: '"v1"', "last-modified": "Tue, 09 Dec 2025 13:00:00 GMT" }, FEED);
      case "/gzip":
        return send(200, { "content-encoding": "gzip" }, gzipSync(FEED));
      case "/br":
        return send(200, { "content-encoding": "br" }, brotliCompressSync(FEED));
      case "/deflate":
        return send(200, { "content-encoding": "deflate" }, deflateSync(FEED));
      case "/deflate-raw":
        return send(200, { "content-encoding": "deflate" }, deflateRawSync(FEED));
      case "/deflate-bomb":
        return send(200, { "content-encoding": "deflate" }, deflateRawSync(Buffer.alloc(64 * 1024 * 1024)));
      case "/etag":
        if (req.headers["if-none-match"] === '"v1"') return send(304, {});
        return send(200, { etag: '"v1"' }, FEED);
      case "/ua":
        return send(200, {}, String(req.headers["user-agent"]));
      case "/moved":
        return send(301, { location: "/plain" });
      case "/moved-twice":
        return send(308, { location: "/moved" });
      case "/temporary":
        return send(302, { location: "/moved" });
      case "/loop":
        return send(302, { location: "/loop" });
      case "/to-private":
        return send(302, { location: "http://10.20.30.40/feed" });
      case "/to-metadata":
        return send(301, { location: "http://169.254.169.254/latest/meta-data/" });
      case "/to-file":
        return send(302, { location: "file:///etc/passwd" });
      case "/slow":
        setTimeout(() => send(200, {}, FEED), 8_000);
        return;
      case "/trickle":
        res.writeHead(200);
        res.write("<rss>");
        setTimeout(() => res.end("</rss>"), 8_000);
        return;
      case "/big":
        return send(200, {}, Buffer.alloc(2 * 1024 * 1024, 0x61));
      case "/big-unannounced":
        res.writeHead(200);
        for (let i = 0; i < 40; i++) res.write(Buffer.alloc(64 * 1024, 0x61));
        res.end();
        return;
      case "/bomb":
        return send(200, { "content-encoding": "gzip" }, gzipSync(Buffer.alloc(64 * 1024 * 1024)));
      case "/429":
        return send(429, { "retry-after": "120" });
      case "/503":
        return send(503, { "retry-after": new Date(Date.now() + 60_000).toUTCString() });
      case "/404":
        return send(404, {});
      default:
        return send(404, {});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// time limit: short for the test, yet with room for a busy machine (the whole suite runs in parallel)
const limits = { ...DEFAULT_LIMITS, totalTimeoutMs: 3_000, maxBytes: 1024 * 1024 };
const fetcher = () => new FeedFetcher(new AddressPolicy(["127.0.0.1"]), limits);

describe("fetching", () => {
  it("reads plain, gzip, brotli and deflate bodies", async () => {
    const f = fetcher();
    for (const path of ["/plain", "/gzip", "/br", "/deflate", "/deflate-raw"]) {
      const out = await f.fetch(`${base}${path}`);
      expect(out.status).toBe("ok");
      if (out.status === "ok") expect(new TextDecoder().decode(out.bytes)).toBe(FEED);
    }
    await f.close();
  });

  it("sends the validators it was given and reports 304", async () => {
    const f = fetcher();
    const first = await f.fetch(`${base}/etag`);
    expect(first.status === "ok" && first.etag).toBe('"v1"');
    expect((await f.fetch(`${base}/etag`, { etag: '"v1"' })).status).toBe("not-modified");
    await f.close();
  });

  it("names itself", async () => {
    const f = fetcher();
    const out = await f.fetch(`${base}/ua`);
    expect(out.status === "ok" && new TextDecoder().decode(out.bytes)).toMatch(/^feedwerk\//);
    await f.close();
  });

  it("follows redirects, and reports the new address only when every hop was permanent", async () => {
    const f = fetcher();
    const perm = await f.fetch(`${base}/moved-twice`);
    expect(perm.status === "ok" && [perm.url, perm.movedTo]).toEqual([`${base}/plain`, `${base}/plain`]);
    const temp = await f.fetch(`${base}/temporary`);
    expect(temp.status === "ok" && [temp.url, temp.movedTo]).toEqual([`${base}/plain`, null]);
    await f.close();
  });

  it.each([
    ["/loop", /more than 5 redirects/],
    ["/slow", /no complete answer within the time limit of \d+(\.\d+)? s/],
    ["/trickle", /no complete answer within the time limit of \d+(\.\d+)? s/],
    ["/big", /over the limit/],
    ["/big-unannounced", /over the limit/],
    ["/bomb", /over the limit/],
    ["/deflate-bomb", /over the limit/],
    ["/404", /HTTP 404/],
    ["/to-file", /only http and https/],
  ])("gives up on %s with a reason", async (path, reason) => {
    const f = fetcher();
    const error = await f.fetch(`${base}${path}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as Error).message).toMatch(reason);
    await f.close();
  });

  it("passes on Retry-After from 429 and 503", async () => {
    const f = fetcher();
    const e429 = (await f.fetch(`${base}/429`).catch((e: unknown) => e)) as FetchError;
    expect([e429.httpStatus, e429.retryAfterMs]).toEqual([429, 120_000]);
    const e503 = (await f.fetch(`${base}/503`).catch((e: unknown) => e)) as FetchError;
    expect(e503.httpStatus).toBe(503);
    expect(e503.retryAfterMs).toBeGreaterThan(50_000);
    await f.close();
  });
});

describe("server-side request forgery", () => {
  const policy = new AddressPolicy();
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.5.4", "private"],
    ["172.31.255.255", "private"],
    ["192.168.178.1", "private"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["224.0.0.251", "multicast"],
    ["ff02::1", "multicast"],
    ["fc00::1", "unique-local"],
    ["fd00:ec2::254", "unique-local"],
    ["fe80::1", "link-local"],
    ["0.0.0.0", "this network"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["255.255.255.255", "reserved"],
  ])("refuses %s (%s)", (address, kind) => {
    expect(policy.refusal(address)).toContain(kind);
  });

  it.each(["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "172.32.0.1", "100.128.0.1"])("lets %s through", (address) => {
    expect(policy.refusal(address)).toBeNull();
  });

  it("lets configured hosts, addresses and ranges through", () => {
    const allowing = new AddressPolicy(["127.0.0.1", "10.8.0.0/16", "intranet.example", "fd12::/16"]);
    expect(allowing.refusal("127.0.0.1")).toBeNull();
    expect(allowing.refusal("10.8.4.4")).toBeNull();
    expect(allowing.refusal("10.9.4.4")).toContain("private");
    expect(allowing.refusal("fd12::5")).toBeNull();
    expect(allowing.hostAllowed("Intranet.Example")).toBe(true);
  });

  it.each([
    "http://127.0.0.1:9/feed",
    "http://[::1]:9/feed",
    "http://10.0.0.1/feed",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00::1]/",
    "http://0.0.0.0/",
    "http://[::ffff:7f00:1]/",
    "http://2130706433/",
    "http://0x7f.1/",
  ])("refuses to fetch %s", async (url) => {
    const f = new FeedFetcher(policy, limits);
    const error = await f.fetch(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as Error).message).toMatch(/refused/);
    await f.close();
  });

  it("refuses a host name that resolves to loopback", async () => {
    const f = new FeedFetcher(policy, limits);
    const error = await f.fetch(`${base.replace("127.0.0.1", "localhost")}/plain`).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/refused to fetch from localhost: .*loopback address; FEEDWERK_ALLOWED_HOSTS=localhost allows it$/);
    await f.close();
  });

  it("refuses to follow what it would refuse to fetch, saying which setting allows it", async () => {
    const names: Record<string, string[]> = {
      "intra.example": ["10.1.2.3"],
      "both.example": ["10.1.2.3", "93.184.216.34"],
      "public.example": ["93.184.216.34"],
    };
    const lookup = async (host: string) => {
      const found = names[host];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return found;
    };
    const hint = (host: string) =>
      `; feeds are not followed from private or local addresses unless FEEDWERK_ALLOWED_HOSTS allows them (FEEDWERK_ALLOWED_HOSTS=${host})`;
    expect(await policy.followRefusal("http://127.0.0.1/feed.xml", lookup)).toBe(`127.0.0.1 is a loopback address${hint("127.0.0.1")}`);
    expect(await policy.followRefusal("http://10.0.0.1:8080/rss", lookup)).toBe(`10.0.0.1 is a private address${hint("10.0.0.1")}`);
    expect(await policy.followRefusal("http://[::1]/feed", lookup)).toBe(`::1 is a loopback address${hint("::1")}`);
    expect(await policy.followRefusal("http://0x7f.1/feed", lookup)).toBe(`127.0.0.1 is a loopback address${hint("127.0.0.1")}`);
    expect(await policy.followRefusal("https://intra.example/feed", lookup)).toBe(
      `intra.example resolves to 10.1.2.3, a private address${hint("intra.example")}`,
    );
    // this machine's own resolver: localhost is loopback
    expect(await policy.followRefusal("http://localhost:8787/feeds/all.xml")).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1), a loopback address; .*FEEDWERK_ALLOWED_HOSTS=localhost\)$/,
    );
    // a public address among them is what fetching would use; a name that does not resolve now is judged when fetched
    expect(await policy.followRefusal("https://both.example/feed", lookup)).toBeNull();
    expect(await policy.followRefusal("https://public.example/feed", lookup)).toBeNull();
    expect(await policy.followRefusal("https://gone.example/feed", lookup)).toBeNull();
    expect(await policy.followRefusal("https://93.184.216.34/feed", lookup)).toBeNull();
    const allowing = new AddressPolicy(["127.0.0.1", "intra.example", "10.0.0.0/8"]);
    for (const url of ["http://127.0.0.1/feed.xml", "https://intra.example/feed", "http://10.0.0.1/rss"])
      expect(await allowing.followRefusal(url, lookup)).toBeNull();
    // localhost's address is allowed: so is localhost, as fetching would connect to it
    expect(await allowing.followRefusal("http://localhost/feed")).toBeNull();
    expect(await new AddressPolicy(["intra.example"]).followRefusal("http://localhost/feed")).not.toBeNull();
  });

  it("checks the address it actually connects to, whatever name resolution said before", async () => {
    // a resolver that answers with loopback without asking the policy: a DNS answer that
    // changed between the check and the connection (DNS rebinding)
    const rebinding = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
      options.all ? callback(null, [{ address: "127.0.0.1", family: 4 }]) : callback(null, "127.0.0.1", 4)) as never;
    const port = new URL(base).port;
    const f = new FeedFetcher(policy, limits, rebinding);
    const error = await f.fetch(`http://rebind.example:${port}/plain`).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/refused to connect to rebind\.example: 127\.0\.0\.1 is a loopback address/);
    await f.close();
    // the same resolver for a host the configuration allows: connected
    const allowed = new FeedFetcher(new AddressPolicy(["rebind.example"]), limits, rebinding);
    expect((await allowed.fetch(`http://rebind.example:${port}/plain`)).status).toBe("ok");
    await allowed.close();
  });

  it("refuses private addresses behind a redirect", async () => {
    const f = fetcher();
    for (const path of ["/to-private", "/to-metadata"]) {
      const error = await f.fetch(`${base}${path}`).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(
        /refused to fetch http:\/\/(10\.20\.30\.40|169\.254\.169\.254)\S*: .*; FEEDWERK_ALLOWED_HOSTS=(10\.20\.30\.40|169\.254\.169\.254) allows it$/,
      );
    }
    await f.close();
  });
});

describe("a kept-alive connection the server has dropped", () => {
  it("sends the GET once more on a fresh connection, and fails only if that fails too", async () => {
    // answers the first request of each connection and resets the connection at its second,
    // as a server does whose idle timeout struck just as the request went out
    const { createServer: createTcpServer } = await import("node:net");
    let connections = 0;
    const tcp = createTcpServer((socket) => {
      connections++;
      let requests = 0;
      socket.on("data", (chunk) => {
        if (!chunk.toString("latin1").includes("\r\n\r\n")) return;
        if (++requests > 1) return socket.resetAndDestroy();
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: ${Buffer.byteLength(FEED)}\r\nConnection: keep-alive\r\n\r\n${FEED}`,
        );
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(tcp.address() as { port: number }).port}/feed`;
    const http = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...limits, perHost: 1 });
    try {
      expect((await http.fetch(url)).status).toBe("ok");
      const again = await http.fetch(url);
      expect(again.status).toBe("ok");
      expect(connections).toBe(2);
    } finally {
      await http.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });
});

describe("many feeds of one host", () => {
  let slow: Server;
  let slowBase: string;
  let now = 0;
  let most = 0;
  beforeAll(async () => {
    // each answer takes 400 ms; the server notes how many it was answering at once
    slow = createServer((req, res) => {
      if (req.url === "/hang") return;
      most = Math.max(most, ++now);
      setTimeout(() => {
        now--;
        res.writeHead(200, { "content-type": "application/rss+xml" });
        res.end(FEED);
      }, 400);
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    slowBase = `http://127.0.0.1:${(slow.address() as { port: number }).port}`;
  });
  afterAll(() => {
    slow.closeAllConnections();
    return new Promise<void>((resolve) => slow.close(() => resolve()));
  });

  it("fetches them a few at a time, and none fails for the time it waited for its turn", async () => {
    most = 0;
    // eight fetches, two at a time: the last starts after 1.2 s, past the limit of 1 s, and still has its full second
    const f = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...limits, totalTimeoutMs: 1_000, perHost: 2 });
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => f.fetch(`${slowBase}/feed-${i}.xml`)));
    expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value.status : String(o.reason)))).toEqual(Array(8).fill("ok"));
    expect(most).toBe(2);
    await f.close();
  });

  it("counts neither the wait at the first host nor at the host a redirect leads to against a fetch's time", async () => {
    // every feed at another origin (the same server under another name) moved to the slow one: the turns are taken there
    const moved = createServer((req, res) => res.writeHead(301, { location: `${slowBase}${req.url}` }).end());
    await new Promise<void>((resolve) => moved.listen(0, "127.0.0.1", resolve));
    try {
      most = 0;
      const movedBase = `http://127.0.0.1:${(moved.address() as { port: number }).port}`;
      const f = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...limits, totalTimeoutMs: 1_000, perHost: 2 });
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => f.fetch(`${movedBase}/feed-${i}.xml`)));
      expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value.status : String(o.reason)))).toEqual(Array(8).fill("ok"));
      expect(most).toBe(2);
      await f.close();
    } finally {
      await new Promise<void>((resolve) => moved.close(() => resolve()));
    }
  });

  it("gives up a fetch still waiting for its turn when the poller stops, and gives the turn on", async () => {
    const f = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...limits, perHost: 1 });
    const hold = new AbortController();
    // holds the host's one turn until it is abandoned: the server never answers it
    const holding = f.fetch(`${slowBase}/hang`, {}, hold.signal);
    const stop = new AbortController();
    const waiting = f.fetch(`${slowBase}/b.xml`, {}, stop.signal);
    stop.abort(new Error("stopping"));
    await expect(waiting).rejects.toThrow(`${slowBase}/b.xml: fetch abandoned`);
    hold.abort(new Error("stopping"));
    await expect(holding).rejects.toThrow(`${slowBase}/hang: fetch abandoned`);
    // the abandoned fetches gave their turns back
    expect((await f.fetch(`${slowBase}/c.xml`)).status).toBe("ok");
    await f.close();
  });
});

describe("the hint at a refused host", () => {
  it("names the setting with the host where FEEDWERK_ALLOWED_HOSTS can name it, else with the address it resolved to, else nothing", () => {
    expect(allowHint("127.0.0.1")).toBe("; FEEDWERK_ALLOWED_HOSTS=127.0.0.1 allows it");
    expect(allowHint("::1")).toBe("; FEEDWERK_ALLOWED_HOSTS=::1 allows it");
    expect(allowHint("intranet.example")).toBe("; FEEDWERK_ALLOWED_HOSTS=intranet.example allows it");
    // a Compose service name and a name with its root dot: the setting refuses both at start-up
    expect(allowHint("rss_bridge")).toBe("");
    expect(allowHint("rss_bridge", "172.18.0.5")).toBe("; FEEDWERK_ALLOWED_HOSTS=172.18.0.5 allows it (the address rss_bridge has now)");
    expect(allowHint("localhost.")).toBe("");
    // an IPv4 address in IPv6 form, as the URL parser writes it, is judged and named as IPv4
    expect(allowHint("[::ffff:a00:1]")).toBe("; FEEDWERK_ALLOWED_HOSTS=10.0.0.1 allows it");
    expect(allowHint("::ffff:127.0.0.1")).toBe("; FEEDWERK_ALLOWED_HOSTS=127.0.0.1 allows it");
  });

  it("for an IPv4-mapped address names the IPv4 address, which allows it", async () => {
    const url = "http://[::ffff:10.0.0.1]/feed";
    expect(new URL(url).hostname).toBe("[::ffff:a00:1]");
    expect(await new AddressPolicy().followRefusal(url)).toBe(
      "10.0.0.1 is a private address; feeds are not followed from private or local addresses unless FEEDWERK_ALLOWED_HOSTS allows them (FEEDWERK_ALLOWED_HOSTS=10.0.0.1)",
    );
    expect(await new AddressPolicy(["10.0.0.1"]).followRefusal(url)).toBeNull();
    expect(new AddressPolicy(["10.0.0.1"]).refusal("::ffff:a00:1")).toBeNull();
  });

  it("is the same when a feed is followed: no setting the configuration would refuse", async () => {
    const policy = new AddressPolicy();
    const lookup = async () => ["172.18.0.5"];
    const general = "; feeds are not followed from private or local addresses unless FEEDWERK_ALLOWED_HOSTS allows them";
    // a name the setting cannot hold: the address it resolved to, which the setting can
    expect(await policy.followRefusal("http://rss_bridge:3000/?action=display", lookup)).toBe(
      `rss_bridge resolves to 172.18.0.5, a private address${general} (FEEDWERK_ALLOWED_HOSTS=172.18.0.5, the address rss_bridge has now)`,
    );
    expect(await new AddressPolicy(["172.18.0.5"]).followRefusal("http://rss_bridge:3000/?action=display", lookup)).toBeNull();
    expect(await policy.followRefusal("http://bridge:3000/feed", lookup)).toBe(
      `bridge resolves to 172.18.0.5, a private address${general} (FEEDWERK_ALLOWED_HOSTS=bridge)`,
    );
  });
});
