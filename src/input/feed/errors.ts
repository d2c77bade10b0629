/** A feed document that cannot be read, with the reason a person can act on. */
export class FeedFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FeedFormatError";
  }
}
