/** Progress bars on standard error, and only on a terminal: piped output stays line by line. */
import cliProgress from "cli-progress";

/** A bar drawn with `format` (cli-progress placeholders), or null when standard error is no terminal. */
export function progressBar(format: string): cliProgress.SingleBar | null {
  return process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format }, cliProgress.Presets.shades_classic) : null;
}
