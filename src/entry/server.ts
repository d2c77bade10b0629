/** The Node shell around the publishing app. */
import { serve, type ServerType } from "@hono/node-server";
import { createApp } from "../publish/app";
import type { VersionBook } from "../publish/version-book";
import type { Database } from "../storage/database";
import { nodeCompressors } from "./compressors";

export interface RunningServer {
  /** The address actually bound: http://127.0.0.1:8787, http://0.0.0.0:8787, http://[::1]:8787. */
  url: string;
  /** Bound to 0.0.0.0 or ::, reachable on every interface of the machine. */
  everyInterface: boolean;
  close(): Promise<void>;
}

export interface ServerOptions {
  port: number;
  hostname?: string;
  publicUrl?: string | undefined;
  hubUrl?: string | undefined;
  adminToken?: string | undefined;
  versions?: VersionBook;
}

export function startServer(db: Database, options: ServerOptions): Promise<RunningServer> {
  const app = createApp({
    db,
    publicUrl: options.publicUrl,
    hubUrl: options.hubUrl,
    adminToken: options.adminToken,
    versions: options.versions,
    compressors: nodeCompressors,
  });
  return new Promise((resolve, reject) => {
    let server: ServerType;
    try {
      server = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname }, (info) => {
        const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${host}:${info.port}`,
          everyInterface: host === "0.0.0.0" || host === "[::]",
          close: () => new Promise((done) => server.close(() => done())),
        });
      });
      server.once("error", reject);
    } catch (error) {
      reject(error);
    }
  });
}
