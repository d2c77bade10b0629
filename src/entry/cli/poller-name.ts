/** How a polling process names itself in the leases it takes. */
import { hostname } from "node:os";

/** "host pid N": the operator sees which machine and process holds a feed. */
export function pollerName(): string {
  return `${hostname()} pid ${process.pid}`;
}
