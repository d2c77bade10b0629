/** gzip and brotli from Node's zlib, off the event loop, for the feed cache. */
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Compressors } from "../../publish/feed-cache";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

// Each feed version is compressed once and served many times, so a high
// level pays; brotli's 11 costs ten times 9 for a few percent.
export const nodeCompressors: Compressors = {
  gzip: async (body) => new Uint8Array(await gzipAsync(body, { level: 9 })),
  br: async (body) =>
    new Uint8Array(
      await brotliAsync(body, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
      }),
    ),
};
