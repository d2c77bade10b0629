/** A WebSub hub that records the feed URLs it is told about, and answers with `status`. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubStub {
  url: string;
  /** hub.url of every publish notification, in arrival order. */
  pings: string[];
  status: number;
  close(): Promise<void>;
}

export async function startHubStub(): Promise<HubStub> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const form = new URLSearchParams(body);
      if (req.method === "POST" && form.get("hub.mode") === "publish") hub.pings.push(form.get("hub.url")!);
      res.writeHead(hub.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const hub: HubStub = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub`,
    pings: [],
    status: 202,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return hub;
}
