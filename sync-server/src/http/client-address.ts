import { BlockList, isIP } from 'node:net';

/**
 * The address a request came from, for throttling and the audit log (docs/THREAT_MODEL.md T10).
 *
 * Without TRUST_PROXY it is the socket's peer. Behind a reverse proxy every request's peer is the proxy,
 * so one failed-login limit would cover everyone (issue 12 C10); TRUST_PROXY names the proxies whose
 * forwarding headers are believed. The client is then the right-most hop of X-Forwarded-For (or of
 * Forwarded's `for=`) that is not a trusted proxy: hops to its left were written by the client itself and
 * can say anything, hops to its right by our own proxies.
 */

/** TRUST_PROXY entries: `loopback`, an IP address, or a CIDR range such as `10.0.0.0/8`. */
export function checkTrustedProxy(entry: string): string | null {
  if (entry === 'loopback') return null;
  const [ip, bits, ...rest] = entry.split('/');
  const family = isIP(ip ?? '');
  if (family === 0 || rest.length > 0) return `"${entry}" is not an IP address, a CIDR range or loopback`;
  if (bits === undefined) return null;
  const n = Number(bits);
  const max = family === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && n <= max ? null : `"${entry}" has a bad prefix length`;
}

/** Strips what proxies add around an address: IPv6 brackets, a port, the IPv4-mapped IPv6 prefix. */
export function normaliseAddress(raw: string): string {
  let a = raw.trim().replace(/^"|"$/g, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed?.[1]) a = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  if (/^::ffff:[\d.]+$/i.test(a)) a = a.slice(7);
  return a.toLowerCase();
}

export type ClientAddress = (
  peer: string | undefined,
  header: (name: string) => string | undefined,
) => string;

export function createClientAddress(trusted: readonly string[]): ClientAddress {
  if (trusted.length === 0) return (peer) => (peer ? normaliseAddress(peer) : 'unknown');
  const list = new BlockList();
  for (const entry of trusted) {
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [ip = '', bits] = entry.split('/');
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, family);
    else list.addSubnet(ip, Number(bits), family);
  }
  const isTrusted = (a: string): boolean => {
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (peer, header) => {
    const direct = peer ? normaliseAddress(peer) : 'unknown';
    if (!isTrusted(direct)) return direct;
    const hops = forwardedHops(header);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] ?? '';
      if (!isTrusted(hop)) return hop;
    }
    // Every hop is one of ours (or none was given): the left-most is as far as we can see.
    return hops[0] ?? direct;
  };
}

/** X-Forwarded-For if present, else the `for=` values of Forwarded (RFC 7239), left to right. */
function forwardedHops(header: (name: string) => string | undefined): string[] {
  const xff = header('x-forwarded-for');
  if (xff !== undefined)
    return xff
      .split(',')
      .map(normaliseAddress)
      .filter((a) => a.length > 0)
      .map((a) => a.slice(0, 100));
  const fwd = header('forwarded');
  if (fwd === undefined) return [];
  const hops: string[] = [];
  for (const element of fwd.split(','))
    for (const pair of element.split(';')) {
      const [k, v] = pair.split('=');
      if (k?.trim().toLowerCase() === 'for' && v !== undefined) hops.push(normaliseAddress(v).slice(0, 100));
    }
  return hops;
}
