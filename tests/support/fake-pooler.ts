/**
 * A stand-in for PgBouncer's front door in front of the real PostgreSQL:
 * it reads a client's startup message and, like PgBouncer, refuses a
 * startup parameter it does not know with FATAL 08P01 "unsupported startup
 * parameter"; otherwise it passes the connection through untouched.
 */
import { connect, createServer, type Socket } from "node:net";

/** What PgBouncer accepts in a startup message without ignore_startup_parameters. */
export const POOLER_PARAMETERS = ["user", "database", "application_name", "client_encoding", "datestyle", "timezone", "standard_conforming_strings"];

export interface FakePooler {
  /** `url` with its host and port replaced by the pooler's. */
  through(url: string): string;
  /** The parameters refused so far, in order. */
  refused: string[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;

export async function startFakePooler(target: { host: string; port: number }, accepted: readonly string[] = POOLER_PARAMETERS): Promise<FakePooler> {
  const sockets = new Set<Socket>();
  const refused: string[] = [];
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 8 || buffered.length < buffered.readInt32BE(0)) return;
      const length = buffered.readInt32BE(0);
      if (buffered.readInt32BE(4) === SSL_REQUEST) {
        buffered = buffered.subarray(length);
        client.write("N");
        return;
      }
      client.off("data", onData);
      // name\0value\0 … and a closing \0
      const fields = buffered
        .subarray(8, length - 2)
        .toString("utf8")
        .split("\0");
      const unknown = fields.filter((_, i) => i % 2 === 0).find((key) => !accepted.includes(key));
      if (unknown !== undefined) {
        refused.push(unknown);
        client.end(errorResponse("08P01", `unsupported startup parameter: ${unknown}`));
        return;
      }
      const upstream = connect(target.port, target.host);
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      upstream.write(buffered);
      client.pipe(upstream);
      upstream.pipe(client);
    };
    client.on("data", onData);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  return {
    through(url) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    refused,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function errorResponse(code: string, message: string): Buffer {
  const body = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, "utf8");
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
