/**
 * Which addresses a feed may be fetched from. A feed URL is user input: left
 * alone, it would let anyone make this server read its own loopback
 * services, the private network or a cloud's metadata endpoint (server-side
 * request forgery). Refused unless allowed by configuration
 * (FEEDWERK_ALLOWED_HOSTS: host names, addresses or CIDR ranges).
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { ALLOWABLE_HOST_NAME } from "../allowable-host";

/** The setting that would allow a refused host, for its message; nothing where the setting could not name it (`rss_bridge`). */
export function allowHint(host: string, address?: string): string {
  const allowing = allowingSetting(host, address);
  return allowing ? `; ${allowing.setting} allows it${allowing.note ? ` (${allowing.note})` : ""}` : "";
}

/**
 * The setting that allows this host: its name, or where the setting cannot hold the name (rss_bridge) the address it
 * resolved to; null where there is neither.
 * An IPv4 address in IPv6 form (::ffff:a00:1, as URLs write it) is named as IPv4, as it is judged.
 */
function allowingSetting(host: string, address?: string): { setting: string; note?: string } | null {
  const bare = host.replace(/^\[|\]$/g, "");
  if (isIP(bare)) return { setting: `FEEDWERK_ALLOWED_HOSTS=${mappedIpv4(bare) ?? bare}` };
  if (ALLOWABLE_HOST_NAME.test(host)) return { setting: `FEEDWERK_ALLOWED_HOSTS=${host}` };
  // a name the setting cannot hold (rss_bridge): the address it resolved to, which the setting can, said to be its
  // address now (a container made anew may get another; a name with a hyphen, rss-bridge, would last)
  const byAddress = address && isIP(address) ? allowingSetting(address) : null;
  return byAddress && { setting: byAddress.setting, note: `the address ${host} has now` };
}

/** The IPv4 address an IPv4-mapped IPv6 address stands for (::ffff:10.0.0.1, or ::ffff:a00:1 as the URL parser writes it), else null. */
function mappedIpv4(ip: string): string | null {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (!hex) return null;
  const [high, low] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Resolves a host name to its addresses (node:dns's lookup, or a stand-in in tests). */
export type HostLookup = (hostname: string) => Promise<string[]>;

const systemLookup: HostLookup = async (hostname) => (await dnsLookup(hostname, { all: true })).map((a) => a.address);

/** How long following a feed waits for its host name to resolve before leaving the check to fetch time. */
const FOLLOW_LOOKUP_MS = 3_000;

const REFUSED_V4: [string, number, string][] = [
  ["0.0.0.0", 8, "this network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];
const REFUSED_V6: [string, number, string][] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["64:ff9b:1::", 48, "local-use translation"],
  ["100::", 64, "discard"],
  ["2001:db8::", 32, "documentation"],
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local"],
  ["ff00::", 8, "multicast"],
];

export class AddressPolicy {
  private readonly allowedHosts = new Set<string>();
  private readonly allowed = new BlockList();
  private readonly refused = new BlockList();
  private readonly reasons: { list: BlockList; reason: string }[] = [];

  /** `allow`: host names, IP addresses and CIDR ranges that may be fetched even if private. */
  constructor(allow: string[] = []) {
    for (const entry of allow.map((a) => a.trim().toLowerCase()).filter(Boolean)) {
      const [address, bits] = entry.split("/");
      const family = isIP(address!);
      if (family === 0) this.allowedHosts.add(entry.replace(/^\[|\]$/g, ""));
      else if (bits !== undefined) this.allowed.addSubnet(address!, Number(bits), family === 6 ? "ipv6" : "ipv4");
      else this.allowed.addAddress(address!, family === 6 ? "ipv6" : "ipv4");
    }
    for (const [net, bits, reason] of REFUSED_V4) this.addRefused(net, bits, "ipv4", reason);
    for (const [net, bits, reason] of REFUSED_V6) this.addRefused(net, bits, "ipv6", reason);
  }

  static fromEnv(value: string | undefined): AddressPolicy {
    return new AddressPolicy((value ?? "").split(","));
  }

  private addRefused(net: string, bits: number, type: "ipv4" | "ipv6", reason: string) {
    this.refused.addSubnet(net, bits, type);
    const one = new BlockList();
    one.addSubnet(net, bits, type);
    this.reasons.push({ list: one, reason });
  }

  hostAllowed(hostname: string): boolean {
    return this.allowedHosts.has(hostname.toLowerCase().replace(/^\[|\]$/g, ""));
  }

  /** Null when the address may be connected to, else why not. */
  refusal(address: string): string | null {
    let ip = address.replace(/^\[|\]$/g, "");
    let type: "ipv4" | "ipv6" = isIP(ip) === 6 ? "ipv6" : "ipv4";
    // an IPv4 address wearing IPv6 clothes (::ffff:127.0.0.1, ::ffff:7f00:1) is judged as IPv4
    const mapped = mappedIpv4(ip);
    if (mapped) {
      ip = mapped;
      type = "ipv4";
    }
    if (isIP(ip) === 0) return `'${address}' is not an IP address`;
    if (this.allowed.check(ip, type)) return null;
    if (!this.refused.check(ip, type)) return null;
    const reason = this.reasons.find((r) => r.list.check(ip, type))?.reason ?? "non-public";
    return `${ip} is a ${reason} address`;
  }

  /**
   * Why a feed at `url` may not be followed, naming the setting that would
   * allow it, or null. Said when the feed is added (sources add, apply,
   * import, the admin API) rather than at its first fetch: the host is a
   * refused address, or a name all of whose addresses are refused
   * (localhost). A name that does not resolve now, or not in time, is left
   * to fetch time, which checks every connection again (DNS answers change).
   */
  async followRefusal(url: string, lookup: HostLookup = systemLookup): Promise<string | null> {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (this.hostAllowed(host)) return null;
    let why: string | null;
    let addresses: string[] = [];
    if (isIP(host)) {
      why = this.refusal(host);
    } else {
      addresses = await withinMs(
        lookup(host).catch(() => [] as string[]),
        FOLLOW_LOOKUP_MS,
        [] as string[],
      );
      const refusals = addresses.map((address) => this.refusal(address));
      why = refusals.length && refusals.every(Boolean) ? `${host} resolves to ${refusals[0]!.replace(/ is an? /, ", a ")}` : null;
    }
    if (!why) return null;
    const allowing = allowingSetting(host, addresses[0]);
    const setting = allowing ? ` (${allowing.setting}${allowing.note ? `, ${allowing.note}` : ""})` : "";
    return `${why}; feeds are not followed from private or local addresses unless FEEDWERK_ALLOWED_HOSTS allows them${setting}`;
  }
}

function withinMs<T>(task: Promise<T>, ms: number, otherwise: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(otherwise), ms);
    timer.unref();
  });
  return Promise.race([task, late]).finally(() => clearTimeout(timer));
}
