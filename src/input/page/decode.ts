/**
 * Pages are UTF-8 text. Bytes that are not (an image, a PDF, a file in a
 * legacy encoding) are refused here with a reason, before the page reader
 * tries to make sense of them.
 */
import { PageFormatError } from "./parse";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodePage(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new PageFormatError(1, "empty file");
  if (bytes.includes(0)) throw new PageFormatError(1, "binary file (contains NUL bytes), not a text page");
  try {
    return utf8.decode(bytes);
  } catch {
    const line = lineOfFirstInvalidByte(bytes);
    throw new PageFormatError(line, "not UTF-8 text (binary file or another encoding)");
  }
}

function lineOfFirstInvalidByte(bytes: Uint8Array): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    try {
      utf8.decode(bytes.subarray(start, i));
    } catch {
      return line;
    }
    line++;
    start = i + 1;
  }
  return line;
}
