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
import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";

/** The socket's path in a data folder. */
export const sharedSocketPath = (dataDir: string) => join(dataDir, "feedwerk.sock");

/**
 * The longest a client may hold the session: the server's requests and polls wait meanwhile. A command's
 * transaction (a document, a pass's group of documents, a source) takes milliseconds to a second; one that sits open is cut.
 */
export const HOLD_LIMIT_MS = 30_000;

/** sun_path holds 108 bytes on Linux and 104 on macOS and the BSDs, the final NUL included. */
const MAX_SOCKET_PATH_BYTES = process.platform === "linux" ? 107 : 103;

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
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
const DISCARD_ALL = message("Q", cstring("DISCARD ALL"));

/** The frontend messages of protocol 3.0 a client sends once started (Terminate among them). */
const FRONTEND_TYPES = new Set([..."BCDEFHPQSXdcf"].map((c) => c.charCodeAt(0)));
const TERMINATE = "X".charCodeAt(0);
/** Bounds of a start-up packet (PostgreSQL's own is 10,000 bytes) and of any other message. */
const MAX_STARTUP_BYTES = 10_000;
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

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
  // made for this user alone from the start: no connection between the socket's making and a chmod
  const umask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ path, readableAll: false, writableAll: false }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  // a failure to accept (out of file descriptors) refuses that client; it must not end the server
  server.on("error", () => {});
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

  /** Ends the connection: what it left open is rolled back and its session state discarded, after the message running now. */
  cut(): void {
    if (this.gone) return;
    this.gone = true;
    this.socket.destroy();
    this.work = this.work
      .then(() => this.handBack())
      // the database itself failing here (PGlite gone): nothing more to hand back, and nothing may go unhandled
      .catch(() => this.letGo())
      .finally(() => this.endedResolve());
  }

  private receive(data: Buffer): void {
    if (this.gone) return;
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    for (;;) {
      const next = this.nextMessage();
      if (next === "wait") return;
      if (next === "refuse") {
        this.cut();
        return;
      }
      if (next === "terminate") {
        // after the messages before it, in order, as PostgreSQL takes them
        this.work = this.work.then(() => this.cut());
        return;
      }
      if (next === "answered") continue;
      this.work = this.work.then(() => this.run(next)).catch(() => this.cut());
    }
  }

  /**
   * The next whole message in the buffer; "answered" for a start-up request answered here (SSL and GSSAPI:
   * no), "terminate" for the client's goodbye, "refuse" for what PGlite must never be handed: a length out
   * of bounds, a message type it does not know (it would wait for it forever), a cancel request.
   */
  private nextMessage(): Buffer | "wait" | "answered" | "terminate" | "refuse" {
    if (!this.started) {
      if (this.buffered.length < 8) return "wait";
      const length = this.buffered.readInt32BE(0);
      const code = this.buffered.readInt32BE(4);
      if (length < 8 || length > MAX_STARTUP_BYTES) return "refuse";
      if (this.buffered.length < length) return "wait";
      const whole = Buffer.from(this.buffered.subarray(0, length));
      this.buffered = this.buffered.subarray(length);
      if ((code === SSL_REQUEST || code === GSSENC_REQUEST) && length === 8) {
        this.socket.write("N");
        return "answered";
      }
      if (code !== PROTOCOL_3) return "refuse";
      this.started = true;
      return whole;
    }
    if (this.buffered.length < 5) return "wait";
    const type = this.buffered[0]!;
    const length = this.buffered.readInt32BE(1);
    if (!FRONTEND_TYPES.has(type) || length < 4 || length > MAX_MESSAGE_BYTES) return "refuse";
    if (this.buffered.length < 1 + length) return "wait";
    // a copy: the buffer it came in may be reused before its turn
    const whole = Buffer.from(this.buffered.subarray(0, 1 + length));
    this.buffered = this.buffered.subarray(1 + length);
    return type === TERMINATE ? "terminate" : whole;
  }

  private async run(bytes: Buffer): Promise<void> {
    if (this.gone) return;
    await this.hold();
    // cut while it waited: handBack, queued behind this, lets go of the session
    if (this.gone) return;
    const output = await this.locking._runExclusiveQuery(() => this.pg.execProtocolRaw(bytes));
    // a copy: PGlite answers in a buffer of its own that the next message overwrites
    this.socket.write(Buffer.from(output));
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

  /**
   * After the client went: a transaction it left open rolled back, an extended query it left half-sent ended,
   * and its session state discarded (settings, prepared statements, temporary tables, locks, listens), so that
   * nothing of it is left to the server or the next client. Then the session is handed back.
   */
  private async handBack(): Promise<void> {
    if (!this.started) return;
    await this.hold();
    try {
      const run = (bytes: Buffer) => this.locking._runExclusiveQuery(() => this.pg.execProtocolRaw(bytes));
      if (lastReadyStatus(await run(ABORT_EXTENDED)) !== "I") await run(ROLLBACK);
      await run(DISCARD_ALL);
    } finally {
      this.letGo();
    }
  }
}
