/** How a polling process names itself in the leases it takes, and what it gives back of its namesakes that died. */
import { hostname } from "node:os";
import type { Database } from "../../storage/database";
import { leaseOwnersNamed, releaseLeasesOf } from "../../storage/lease-owners";
import { isRunning } from "../../storage/open";

/** "name pid N", the name being FEEDWERK_POLLER_NAME or the host's: the operator sees which machine and process holds a feed. */
export function pollerName(name: string | undefined): string {
  return `${name ?? hostname()} pid ${process.pid}`;
}

/**
 * Gives back the leases held by pollers of this name whose process is gone: one killed, or one whose
 * database went away as it stopped, would otherwise keep its feeds unpolled until the leases run out.
 * A process is judged by its pid on this machine, so pollers that share a name must share the machine
 * (containers on one host with one hostname and pid namespaces of their own: give each a name).
 * Returns the pollers and how many feeds they held.
 */
export async function handBackDeadNamesakes(db: Database, name: string | undefined): Promise<{ pollers: string[]; feeds: number }> {
  const prefix = `${name ?? hostname()} pid `;
  const own = pollerName(name);
  const dead = (await leaseOwnersNamed(db, prefix)).filter((owner) => {
    // this process has claimed nothing yet: leases under its own name are a predecessor's that had its pid (a
    // container restarted, its poller pid 1 again)
    if (owner === own) return true;
    const pid = Number(owner.slice(prefix.length));
    return Number.isSafeInteger(pid) && pid > 0 && !isRunning(pid);
  });
  return { pollers: dead, feeds: await releaseLeasesOf(db, dead) };
}
