import { BlockList, isIP } from 'node:net';

/** An IPv4 address as IPv6 shows it (::ffff:10.0.0.1) is the IPv4 address. */
export function normalizeIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1]! : ip;
}

/** "10.1.0.0/16" or a single address; null when it is neither. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const version = isIP(address);
  if (!version || extra !== undefined) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

// Range lists are few (TRUSTED_PROXIES, the login policies) and asked about on every request:
// each is parsed once. Bounded in case policies churn.
const blockLists = new Map<string, BlockList>();
const MAX_LISTS = 1000;

function blockListOf(cidrs: string[]): BlockList {
  const key = cidrs.join(',');
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const cidr of cidrs) {
      const range = parseCidr(cidr);
      if (range) list.addSubnet(range.address, range.prefix, range.family);
    }
    if (blockLists.size >= MAX_LISTS) blockLists.clear();
    blockLists.set(key, list);
  }
  return list;
}

/** Whether an address is inside one of the ranges (unparseable ranges match nothing). */
export function inRanges(ip: string | undefined, cidrs: string[]): boolean {
  if (!ip) return false;
  const address = normalizeIp(ip);
  const family = isIP(address);
  if (!family) return false;
  return blockListOf(cidrs).check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client's address behind trusted reverse proxies: starting from the socket, each hop that is a
 * trusted proxy hands over to the address it reports (X-Forwarded-For, read right to left); the
 * first untrusted hop is the client. With no trusted proxies the header is never read, so a client
 * cannot choose its own address.
 */
export function clientAddress(
  socket: string | undefined,
  forwardedFor: unknown,
  trusted: string[],
): string | undefined {
  if (!socket || !trusted.length || typeof forwardedFor !== 'string') return socket && normalizeIp(socket);
  const hops = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  let client = normalizeIp(socket);
  for (const hop of hops) {
    if (!inRanges(client, trusted)) break;
    if (!isIP(normalizeIp(hop))) break; // a malformed hop ends what can be believed
    client = normalizeIp(hop);
  }
  return client;
}
