/**
 * The embedded database shared with the commands run while a server holds it. PGlite is one PostgreSQL
 * session in the server's process; the server offers that session on a Unix socket in the data folder,
 * speaking PostgreSQL's wire protocol, and a command connects to it with the `postgres` driver as it would
 * to a PostgreSQL server (open.ts).
 *
 * One session cannot run two transactions at once, so the socket works as a transaction-mode pooler
 * does: a client holds the session from its first message until PostgreSQL reports it idle again (a
 * ReadyForQuery with status I), and meanwhile the server's own queries and the other clients wait. Every
 * in-process query and transaction of PGlite takes its transaction lock, so holding that lock is what
 * keeps them out. A client that goes away, or holds the session longer than HOLD_LIMIT_MS, has its
 * transaction rolled back and the session handed back.
 * pglite-socket does the same for socket clients among themselves, but lets the process's own
 * transactions interleave with a client's: written here for that.
 */
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";

/** The socket's path in a data folder. */
export const sharedSocketPath = (dataDir: string) => join(dataDir, "feedwerk.sock");

/**
 * The longest a client may hold the session: the server's requests and polls wait meanwhile. A command's
 * transaction (one document, one source) takes milliseconds; one that sits open is cut.
 */
export const HOLD_LIMIT_MS = 30_000;

/** sun_path holds 108 bytes on Linux and 104 on macOS and the BSDs, the final NUL included. */
const MAX_SOCKET_PATH_BYTES = process.platform === "linux" ? 107 : 103;

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

const message = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const cstring = (text: string) => Buffer.from(`${text}\0`, "utf8");
/** An Execute of a portal that cannot exist: the error ends an extended query left half-sent, so its implicit transaction rolls back at the Sync. */
const ABORT_EXTENDED = Buffer.concat([message("E", Buffer.concat([cstring("feedwerk: client gone"), Buffer.alloc(4)])), message("S", Buffer.alloc(0))]);
const ROLLBACK = message("Q", cstring("ROLLBACK"));

/** The status of the last ReadyForQuery among backend messages, or null if there is none. */
export function lastReadyStatus(output: Uint8Array): string | null {
  let status: string | null = null;
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  for (let at = 0; at + 5 <= output.length; at += 1 + view.getInt32(at + 1)) {
    if (output[at] === 0x5a && at + 6 <= output.length) status = String.fromCharCode(output[at + 5]!);
  }
  return status;
}

/** PGlite's transaction lock (what its query, exec and transaction take): not in its public types. */
interface Locking {
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T>;
}

export interface SharedSocket {
  path: string;
  close(): Promise<void>;
}

/**
 * Offers `pg` on a Unix socket at `path`, readable and writable by this user only. The caller holds the
 * data folder's lock, so a socket file found there is a dead server's and is replaced.
 */
export async function shareOverSocket(pg: PGlite, path: string): Promise<SharedSocket> {
  // a longer path is cut short by the system, and the socket would be made elsewhere (sockaddr_un's sun_path)
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) throw new Error(`the path is too long for a Unix socket (${bytes} bytes; at most ${MAX_SOCKET_PATH_BYTES})`);
  const locking = pg as unknown as Locking;
  const sessions = new Set<Session>();
  rmSync(path, { force: true });
  const server: Server = createServer((socket) => {
    const session = new Session(socket, locking, pg);
    sessions.add(session);
    void session.ended.then(() => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ path, readableAll: false, writableAll: false }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  try {
    chmodSync(path, 0o600);
  } catch (error) {
    server.close();
    rmSync(path, { force: true });
    throw error;
  }
  return {
    path,
    close: async () => {
      server.close();
      for (const session of sessions) session.cut();
      await Promise.all([...sessions].map((s) => s.ended));
      rmSync(path, { force: true });
    },
  };
}

/** One client's connection: its bytes framed into messages, each run in turn on the shared session. */
class Session {
  private buffered: Buffer = Buffer.alloc(0);
  private started = false;
  /** Messages run one after another, and the clean-up after the last. */
  private work: Promise<void> = Promise.resolve();
  /** Set while this client holds the session: hands it back. */
  private release: (() => void) | null = null;
  private holdTimer: NodeJS.Timeout | undefined;
  private gone = false;
  private endedResolve!: () => void;
  readonly ended = new Promise<void>((resolve) => (this.endedResolve = resolve));

  constructor(
    private readonly socket: Socket,
    private readonly locking: Locking,
    private readonly pg: PGlite,
  ) {
    socket.on("data", (data) => this.receive(data));
    socket.on("error", () => this.cut());
    socket.on("close", () => this.cut());
  }

  cut(): void {
    if (this.gone) return;
    this.gone = true;
    this.socket.destroy();
    this.work = this.work.then(() => this.handBack()).finally(() => this.endedResolve());
  }

  private receive(data: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    for (;;) {
      const next = this.nextMessage();
      if (!next) return;
      this.work = this.work.then(() => this.run(next));
    }
  }

  /** The next whole message in the buffer, answering the start-up phase's requests that PGlite does not. */
  private nextMessage(): Buffer | null {
    if (!this.started) {
      if (this.buffered.length < 8) return null;
      const length = this.buffered.readInt32BE(0);
      if (this.buffered.length < length) return null;
      const code = this.buffered.readInt32BE(4);
      const whole = this.buffered.subarray(0, length);
      this.buffered = this.buffered.subarray(length);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write("N");
        return this.nextMessage();
      }
      if (code !== PROTOCOL_3) {
        // a cancel request (PGlite cannot cancel) or a protocol it does not speak
        if (code !== CANCEL_REQUEST) this.socket.end();
        this.cut();
        return null;
      }
      this.started = true;
      return whole;
    }
    if (this.buffered.length < 5) return null;
    const length = 1 + this.buffered.readInt32BE(1);
    if (this.buffered.length < length) return null;
    const whole = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    // a Terminate: the client is done
    if (whole[0] === 0x58) {
      this.cut();
      return null;
    }
    return whole;
  }

  private async run(bytes: Buffer): Promise<void> {
    if (this.gone) return;
    await this.hold();
    let output: Uint8Array;
    try {
      output = await this.locking._runExclusiveQuery(() => this.pg.execProtocolRaw(bytes));
    } catch {
      return this.cut();
    }
    if (!this.gone) this.socket.write(output);
    if (lastReadyStatus(output) === "I") this.letGo();
  }

  /** Waits for the session, then holds it, at most HOLD_LIMIT_MS. */
  private async hold(): Promise<void> {
    if (this.release) return;
    await new Promise<void>((held) => {
      void this.locking._runExclusiveTransaction(
        () =>
          new Promise<void>((done) => {
            this.release = done;
            held();
          }),
      );
    });
    this.holdTimer = setTimeout(() => this.cut(), HOLD_LIMIT_MS);
    this.holdTimer.unref();
  }

  private letGo(): void {
    clearTimeout(this.holdTimer);
    const release = this.release;
    this.release = null;
    release?.();
  }

  /** After the client went: a transaction it left open rolled back, the session handed back. */
  private async handBack(): Promise<void> {
    if (!this.release) return;
    try {
      const status = lastReadyStatus(await this.locking._runExclusiveQuery(() => this.pg.execProtocolRaw(ABORT_EXTENDED)));
      if (status !== "I") await this.locking._runExclusiveQuery(() => this.pg.execProtocolRaw(ROLLBACK));
    } finally {
      this.letGo();
    }
  }
}
