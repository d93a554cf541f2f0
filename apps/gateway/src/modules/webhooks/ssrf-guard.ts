// Webhook URLs are customer input that the gateway fetches from inside the network: every
// address is checked when the URL is saved, when it is resolved for a delivery, and once more on
// the socket actually connected (so a DNS answer that changes between check and use — rebinding — fails).
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

// Two lists: a BlockList also matches an IPv4 address against IPv6 rules (as ::ffff:a.b.c.d), so
// one list holding ::ffff:0:0/96 would refuse every IPv4 address.
const blockedV4 = new BlockList();
const blockedV6 = new BlockList();
// IPv4: "this network", private, CGNAT, loopback, link-local (cloud metadata 169.254.169.254),
// IETF protocol assignments, documentation, benchmarking, multicast, reserved and broadcast.
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}
// IPv6: unspecified, loopback, IPv4-mapped and -translated (they smuggle an IPv4 past a v6-only
// check), NAT64, discard, documentation, 6to4 (embeds an IPv4), unique-local (incl. AWS's
// fd00:ec2::254 metadata), link-local, site-local, multicast.
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blockedV6.addSubnet(net, prefix, 'ipv6');
}
// IPv4-compatible (deprecated) ::a.b.c.d, which some stacks still route as IPv4.
blockedV6.addSubnet('::', 96, 'ipv6');

/** Names that mean "this machine" or "the cloud's metadata service" whatever DNS says. */
const BLOCKED_NAMES = [/^localhost$/i, /\.localhost$/i, /^metadata(\.google\.internal)?$/i, /\.internal$/i, /^instance-data(\.ec2\.internal)?$/i];

/** True for an address no webhook may reach: loopback, private, link-local, CGNAT, multicast, mapped, metadata… */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return blockedV4.check(bare, 'ipv4');
  if (family === 6) return blockedV6.check(bare, 'ipv6');
  // Not an IP at all: refuse rather than guess.
  return true;
}

export class ForbiddenWebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenWebhookTargetError';
  }
}

export type Lookup = (hostname: string) => Promise<LookupAddress[]>;

/** Every address the system resolver gives for `hostname`. */
export const systemLookup: Lookup = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

export interface SsrfPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: loopback and private targets allowed (development, tests). */
  allowPrivateNetworks: boolean;
  /** Injected in tests to play DNS answers (private names, rebinding) without a DNS server. */
  lookup?: Lookup;
}

/**
 * Checks a URL before it is saved: http(s) only, no credentials, and its host — a literal
 * address or every address its name resolves to — outside the blocked ranges. Returns the reason
 * it is refused, or null when allowed.
 */
export async function checkWebhookUrl(raw: string, policy: SsrfPolicy): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  if (url.username || url.password) return 'must not contain credentials';
  if (policy.allowPrivateNetworks) return null;
  // The WHATWG parser has already turned decimal, octal and hex hosts (2130706433, 0177.0.0.1,
  // 0x7f.1) into dotted IPv4, and bracketed IPv6 into its compressed form.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isForbiddenAddress(host) ? 'points to a private, loopback or reserved address' : null;
  if (BLOCKED_NAMES.some((re) => re.test(host.replace(/\.$/, '')))) return 'points to a local or metadata host name';
  let addresses: LookupAddress[];
  try {
    addresses = await (policy.lookup ?? systemLookup)(host);
  } catch {
    return 'has a host name that does not resolve';
  }
  if (addresses.length === 0) return 'has a host name that does not resolve';
  if (addresses.some((a) => isForbiddenAddress(a.address))) return 'resolves to a private, loopback or reserved address';
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls.connect that drops forbidden answers, so the socket only ever dials an
 * allowed address. Node calls it with `all: true` (happy eyeballs) or for a single address.
 */
export function guardedLookup(policy: SsrfPolicy) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    const resolve = policy.lookup ?? systemLookup;
    resolve(hostname).then(
      (all) => {
        const allowed = policy.allowPrivateNetworks ? all : all.filter((a) => !isForbiddenAddress(a.address));
        const family = typeof options === 'object' ? options.family : undefined;
        const matching = family === 4 || family === 6 ? allowed.filter((a) => a.family === family) : allowed;
        if (matching.length === 0) {
          const error: NodeJS.ErrnoException = new ForbiddenWebhookTargetError(`${hostname} resolves to no allowed address`);
          error.code = 'ENOTFOUND';
          callback(error, []);
          return;
        }
        if (typeof options === 'object' && options.all) callback(null, matching);
        else callback(null, matching[0]!.address, matching[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}
