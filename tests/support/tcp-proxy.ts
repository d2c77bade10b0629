/**
 * A TCP proxy between a server under test and PostgreSQL, for outages on
 * demand: stop() closes the port and destroys every live connection (the
 * database is gone), freeze() keeps connections open but lets no byte
 * through in either direction (a network that drops packets), start() and
 * thaw() undo them. Always on the same port, so the server's DATABASE_URL
 * stays valid.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const paused = new Set<Socket>();

  const pipe = (from: Socket, to: Socket) => {
    from.on("data", (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on("drain", () => {
      if (!frozen) from.resume();
    });
    from.on("end", () => to.end());
    from.on("error", () => to.destroy());
    from.on("close", () => to.destroy());
  };
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      paused.delete(socket);
    });
    if (frozen) hold(socket);
  };
  const hold = (socket: Socket) => {
    socket.pause();
    paused.add(socket);
  };

  const onConnection = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    track(client);
    track(upstream);
    pipe(client, upstream);
    pipe(upstream, client);
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const port = await listen(0);

  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  return {
    port,
    through(url) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    stop,
    async start() {
      server = createServer(onConnection);
      await listen(port);
    },
    freeze() {
      frozen = true;
      for (const socket of sockets) hold(socket);
    },
    thaw() {
      frozen = false;
      for (const socket of paused) socket.resume();
      paused.clear();
    },
    close: async () => {
      if (server.listening) await stop();
      else for (const socket of sockets) socket.destroy();
    },
  };
}
