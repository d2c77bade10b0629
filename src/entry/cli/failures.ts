/** What went wrong, in the `FILE[:LINE]: reason` form every command reports errors in. */
import { JsonTextError } from "../../input/json-text";
import { fileErrorReason } from "../../input/page-files";
import { PageFormatError } from "../../input/page/parse";
import { rootMessage } from "../../storage/error-cause";
import { outageCode } from "../../storage/outage";
import { displayPath } from "./named-files";

/**
 * The line a command's failure is reported in: a database that went away is
 * said as such, and a wrapped error (a query with its parameters) by its cause.
 */
export function failureLine(error: unknown): string {
  const code = outageCode(error);
  if (code) return `the database is unreachable (${code}): ${rootMessage(error)}`;
  return error instanceof Error && error.cause instanceof Error ? rootMessage(error) : error instanceof Error ? error.message : String(error);
}

/** "file:line: message" for page errors, a sidecar's own name for its errors, "file: message" for the rest. */
export function describeFailure(path: string, error: unknown): string {
  if (error instanceof PageFormatError) return `${path}:${error.line}: ${error.message}`;
  if (error instanceof JsonTextError) return `${displayPath(error.file)}${error.line === null ? "" : `:${error.line}`}: ${error.reason}`;
  if ((error as NodeJS.ErrnoException).code && (error as NodeJS.ErrnoException).syscall) return `${path}: ${fileErrorReason(error)}`;
  return `${path}: ${rootMessage(error)}`;
}
