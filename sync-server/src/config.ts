import { LIMITS } from '@commonroom/protocol';
import { z } from 'zod';
import { checkTrustedProxy } from './http/client-address.ts';

/** Configuration, from environment variables, parsed by one schema. A bad value stops start-up by name. */

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** The address people use to reach Commonroom; cookies are Secure when it is https. */
  PUBLIC_URL: z.string().url().optional(),
  /** Extra origins allowed to open the sync socket and make state-changing requests. */
  ALLOWED_ORIGINS: csv.default([]),
  ADMIN_EMAIL: z.string().email().optional(),
  ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  ADMIN_NAME: z.string().min(1).default('Administrator'),
  WORKSPACE_NAME: z.string().min(1).max(80).default('Commonroom'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .default(24 * 14),
  /** scrypt cost as log2(N). 17 is OWASP's recommendation (N=2^17, r=8, p=1); tests may lower it. */
  SCRYPT_LOG_N: z.coerce.number().int().min(10).max(20).default(17),
  /** Where the built PWA lives; served when present. */
  CLIENT_DIST: z.string().default('client/dist'),
  /**
   * permessage-deflate on the sync socket (on by default; browsers offer it). `off` for a proxy in front
   * that compresses already, or to measure without it.
   */
  WS_COMPRESSION: z.enum(['on', 'off']).default('on'),
  /**
   * Reverse proxies whose X-Forwarded-For / Forwarded headers are believed (`off`, or a comma-separated
   * list of `loopback`, addresses and CIDR ranges). Off: the socket's peer is the client, and forwarding
   * headers, which anyone can send, are ignored.
   */
  TRUST_PROXY: z
    .string()
    .default('off')
    .transform((s) => (s.trim() === 'off' ? [] : csv.parse(s)))
    .superRefine((list, ctx) => {
      for (const entry of list) {
        const problem = checkTrustedProxy(entry);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
  /**
   * Web Push (issue 15): the VAPID key pair, base64url as `web-push generate-vapid-keys` prints them. Unset,
   * a pair is made on first start and kept in the data folder (`vapid.json`), so subscriptions outlive
   * restarts. Set both or neither.
   */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{80,100}$/, 'a base64url P-256 public key')
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{40,50}$/, 'a base64url P-256 private key')
    .optional(),
  /**
   * The push services devices may register (host names; a name covers its subdomains). The server POSTs to
   * whatever endpoint a device registers, so without this list a signed-in person could point it at an
   * address inside the college's network. The default is the browsers' own services.
   */
  PUSH_HOSTS: csv.default([
    'fcm.googleapis.com',
    'push.services.mozilla.com',
    'notify.windows.com',
    'push.apple.com',
  ]),
  /** Who push services contact about this server: a mailto: or https: address (RFC 8292). */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'a mailto: or https: address')
    .optional(),
});

export type VapidKeys = { publicKey: string; privateKey: string };

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string;
  /** Read live: when PORT is 0 the server adds its loopback origins once it knows its port. */
  allowedOrigins: string[];
  /** PUBLIC_URL was given (otherwise the public address is derived from the port). */
  publicUrlFixed: boolean;
  secureCookies: boolean;
  admin: { email: string; password: string; name: string } | null;
  workspaceName: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  sessionTtlMs: number;
  scryptLogN: number;
  clientDist: string;
  /** Tuning that tests shorten; not read from the environment. */
  limits: ServerLimits;
  /** TRUST_PROXY: the proxies whose forwarded client address is believed (none: the socket's peer). */
  trustedProxies: readonly string[];
  /** Web Push (issue 15): keys from the environment, or null to use (or make) the data folder's pair. */
  vapid: { keys: VapidKeys | null; subject: string };
  /** PUSH_HOSTS: the push services a device may register an endpoint with. */
  pushHosts: readonly string[];
  /** permessage-deflate settings, or null when WS_COMPRESSION=off. */
  wsCompression: WsCompression | null;
  /** What start-up must say aloud about the environment (settings given that this server does not use). */
  warnings: readonly string[];
};

/**
 * permessage-deflate (RFC 7692) for the sync socket, chosen by measurement (BENCHMARKS.md, issue 5
 * compression note). Node's zlib (Chromium's) gives every deflate stream a 64 KiB hash table whatever
 * memLevel says, and ws keeps a socket's streams for its life once used: about 100 KB per socket that
 * ever got a compressed message. So the deflate stream is let go after use (ws/deflate.ts
 * `releaseIdleDeflate`) and its settings are chosen for CPU and size, the memory being held only while
 * compressing. The inflate stream for what the client sends (browsers compress every message) is closed
 * by a sweep when the socket is between messages, and its window is bounded too.
 */
export type WsCompression = {
  /**
   * Messages smaller than this many bytes go uncompressed (http/sync-route.ts): a relayed chat message
   * (130–300 bytes), an ack, presence. Each compressed message costs about 100 µs of zlib and thread-pool
   * work however small it is, to save tens of bytes.
   */
  threshold: number;
  /** zlib level. 1: on Yjs updates of chat text, within 3–4% of level 6's size at half the CPU. */
  level: number;
  /**
   * Our deflate window (2^bits bytes), told to the client. 13 (8 KiB) against zlib's 15: 40% of the
   * original size instead of 37.5%, 10% more CPU, 100 KB less held while compressing.
   */
  serverMaxWindowBits: number;
  /**
   * The client's deflate window, so our inflate window for it is 1 KiB (browsers compress every message,
   * so every browser socket that sends has one until the sweep). A client that cannot be told
   * (its offer does not name client_max_window_bits: Firefox) keeps the default 15; see ws/deflate.ts.
   */
  clientMaxWindowBits: number;
  /** zlib memLevel for deflate. 8 (the default): 30% less CPU than 4 and a smaller result. */
  memLevel: number;
  /** zlib output buffer of the deflate stream: 16 KiB, four times fewer thread-pool rounds than 4 KiB. */
  deflateChunkSize: number;
  /** zlib output buffer of the inflate stream: client messages are small. */
  inflateChunkSize: number;
  /**
   * Every this many ms, the inflate streams of sockets between messages and quiet since the last sweep
   * are closed (ws/deflate.ts `sweepInflate`): a socket quiet for 2–4 s holds no zlib memory. A busy socket
   * keeps its stream.
   */
  inflateSweepMs: number;
};

export const DEFAULT_WS_COMPRESSION: WsCompression = {
  threshold: 1024,
  level: 1,
  serverMaxWindowBits: 13,
  clientMaxWindowBits: 10,
  memLevel: 8,
  deflateChunkSize: 16 * 1024,
  inflateChunkSize: 4 * 1024,
  inflateSweepMs: 2_000,
};

export type ServerLimits = {
  helloDeadlineMs: number;
  idleDocMs: number;
  /**
   * Socket messages and bytes a user may send per second, summed over their sockets, before the offending
   * socket is closed. The engine batches frames (a reconnect subscribes everything in one message; a
   * backlog goes merged), so honest clients stay far below these.
   */
  messagesPerSecond: number;
  messageBurst: number;
  bytesPerSecond: number;
  byteBurst: number;
  /**
   * WebSocket upgrades per account and per address (token buckets). Over them the upgrade is answered 429
   * with Retry-After; the engine retries with its backoff, so an honest device waits seconds, never longer.
   * The per-address allowance is wide: a college behind one NAT reconnects at once after a network drop.
   */
  handshakesPerSecondPerAccount: number;
  handshakeBurstPerAccount: number;
  handshakesPerSecondPerAddress: number;
  handshakeBurstPerAddress: number;
  /**
   * At most one typing frame per person per conversation is relayed in this many ms (the PWA sends one
   * every 3 s while typing): however many arrive, each listener gets one (P9).
   */
  typingIntervalMs: number;
  /**
   * A person hears the presence of the people they share a conversation of at most this many members with
   * (DMs, classes, teams; rooms/presence-circle.ts). Larger channels (the whole college) count for nothing:
   * with them every change would go to everyone.
   */
  presenceCircleMax: number;
  /**
   * A custom status is ended by a timer at its end, and checked again at least this often (a clock that
   * jumps, a timer that fires late). Tests on an injected clock make it short.
   */
  presenceExpiryCheckMs: number;
  /**
   * New messages (and thread replies) a person may add, over all conversations: a burst, then this many a
   * minute. Over it a write is refused with `slow-down`, which the engine retries later: nothing is lost
   * (P10, P12). At least `LIMITS.maxNewMessagesPerFrame` in the burst, so that a full frame can pass.
   */
  newMessagesPerMinute: number;
  newMessageBurst: number;
  /**
   * Refusals on the document's rules (each judged, logged and audited) a person may meet in a minute
   * before their writes are refused unjudged with `slow-down` for the rest of it (P10,
   * rooms/refusal-budget.ts).
   */
  refusalsPerMinute: number;
  /**
   * New messages one update may add (`too-many-messages` above it): `LIMITS.maxNewMessagesPerFrame`, which
   * the engine keeps to. Configurable only so the bench can fill a database with large merged updates.
   */
  newMessagesPerUpdate: number;
  compactAfterUpdates: number;
  /** Messages per conversation segment before it rolls over (bounds what opening a channel loads). */
  segmentSize: number;
  loginFailuresPerAccount: number;
  loginFailuresPerAddress: number;
  loginWindowMs: number;
  /**
   * Searches a person may make (GET /api/search, issue 16): a burst, then this many a second. The device
   * searches the server as the person types (debounced) and for more pages; over it, 429 with Retry-After.
   */
  searchesPerSecond: number;
  searchBurst: number;
  /**
   * How often uploads no message referenced for a day are swept, and files no attachment uses any more
   * (a message deleted, removed or expired) are deleted (issue 17).
   */
  attachmentSweepMs: number;
};

export const DEFAULT_LIMITS: ServerLimits = {
  helloDeadlineMs: 5_000,
  idleDocMs: 60_000,
  messagesPerSecond: 50,
  messageBurst: 200,
  bytesPerSecond: 1024 * 1024,
  byteBurst: 4 * 1024 * 1024,
  handshakesPerSecondPerAccount: 1,
  handshakeBurstPerAccount: 30,
  handshakesPerSecondPerAddress: 20,
  handshakeBurstPerAddress: 600,
  typingIntervalMs: 1_000,
  presenceCircleMax: 150,
  presenceExpiryCheckMs: 60_000,
  newMessagesPerMinute: 60,
  newMessageBurst: 30,
  refusalsPerMinute: 10,
  newMessagesPerUpdate: LIMITS.maxNewMessagesPerFrame,
  compactAfterUpdates: 500,
  segmentSize: 1_000,
  loginFailuresPerAccount: 5,
  loginFailuresPerAddress: 30,
  loginWindowMs: 15 * 60_000,
  searchesPerSecond: 2,
  searchBurst: 30,
  attachmentSweepMs: 60_000,
};

/**
 * Scale-out (issue 21, docs/SCALE-OUT.md) is built store by store and not yet wired into the server. Were
 * DATABASE_URL and REDIS_URL passed over in silence, an operator who set them would believe several
 * processes shared PostgreSQL and Redis while each wrote its own SQLite file; refusing to start would break
 * a machine that exports them for something else. So start-up says so, first thing.
 */
function scaleOutWarnings(env: Record<string, string | undefined>): string[] {
  const set = ['DATABASE_URL', 'REDIS_URL'].filter((k) => (env[k] ?? '') !== '');
  if (set.length === 0) return [];
  return [
    `${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set but not used: running on PostgreSQL and ` +
      `Redis is not finished yet (docs/SCALE-OUT.md). This server keeps everything in its SQLite ` +
      `database in DATA_DIR; run only one process on it.`,
  ];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if ((e.ADMIN_EMAIL === undefined) !== (e.ADMIN_PASSWORD === undefined))
    throw new ConfigError('Invalid configuration:\n  ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  if ((e.VAPID_PUBLIC_KEY === undefined) !== (e.VAPID_PRIVATE_KEY === undefined))
    throw new ConfigError(
      'Invalid configuration:\n  VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together',
    );
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  const origins = new Set([new URL(publicUrl).origin, ...e.ALLOWED_ORIGINS]);
  if (e.PUBLIC_URL === undefined) {
    origins.add(`http://127.0.0.1:${e.PORT}`);
    origins.add(`http://localhost:${e.PORT}`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    publicUrl,
    allowedOrigins: [...origins],
    publicUrlFixed: e.PUBLIC_URL !== undefined,
    secureCookies: publicUrl.startsWith('https:'),
    admin:
      e.ADMIN_EMAIL !== undefined && e.ADMIN_PASSWORD !== undefined
        ? { email: e.ADMIN_EMAIL.toLowerCase(), password: e.ADMIN_PASSWORD, name: e.ADMIN_NAME }
        : null,
    workspaceName: e.WORKSPACE_NAME,
    logLevel: e.LOG_LEVEL,
    sessionTtlMs: e.SESSION_TTL_HOURS * 3_600_000,
    scryptLogN: e.SCRYPT_LOG_N,
    clientDist: e.CLIENT_DIST,
    limits: DEFAULT_LIMITS,
    wsCompression: e.WS_COMPRESSION === 'on' ? DEFAULT_WS_COMPRESSION : null,
    warnings: scaleOutWarnings(env),
    trustedProxies: e.TRUST_PROXY,
    pushHosts: e.PUSH_HOSTS.map((h) => h.toLowerCase()),
    vapid: {
      keys:
        e.VAPID_PUBLIC_KEY !== undefined && e.VAPID_PRIVATE_KEY !== undefined
          ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY }
          : null,
      // Push services want a way to reach whoever runs the server; without one, the admin's address.
      subject:
        e.VAPID_SUBJECT ??
        (e.ADMIN_EMAIL
          ? `mailto:${e.ADMIN_EMAIL}`
          : publicUrl.startsWith('https:')
            ? publicUrl
            : 'mailto:admin@localhost'),
    },
  };
}
