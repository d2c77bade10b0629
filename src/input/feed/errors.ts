/** A feed document that cannot be read, with the reason a person can act on. */
export class FeedFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FeedFormatError";
  }
}

/**
 * A reason as it may be stored and shown: the names in it come from the
 * document (element and entity names, encodings, a server's words), so
 * control characters (a terminal's escape sequences) are spelt out and the
 * whole is bounded.
 */
export function printableReason(reason: string, max = 300): string {
  // C0 but tab, DEL, C1
  const clean = reason.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
