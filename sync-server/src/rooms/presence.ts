import {
  encodeFrames,
  type DeviceState,
  type EncodedFrames,
  type FrameOf,
  type PresenceState,
} from '@commonroom/protocol';
import type { Logger } from 'pino';
import { NO_CHOICE, type PresenceChoice, type PresenceStatusStore } from '../storage/presence-status.ts';
import type { Timers } from '../timers.ts';

/**
 * A person's presence (issue 15 §3, P9), made from their devices' states: online if any device is in use
 * and visible, away if every device is idle or hidden, offline with none; do not disturb when they chose
 * it, whatever their devices do. Device states live in memory only. The person's choice (DND, a custom
 * status until a time) and last seen are stored (storage/presence-status.ts), the choice when they change
 * it and last seen when their last device goes: never per heartbeat or device report.
 */

type Device = { state: DeviceState; showing: string; tokenHash: string };

type Entry = {
  devices: Map<number, Device>;
  choice: PresenceChoice;
  lastSeen: number;
  /** The state last shown to others, to tell a change from a report that changes nothing. */
  shown: PresenceState;
  /** The entry's frame as sent, kept until the entry changes: a reconnect storm sends it many times. */
  encoded: EncodedFrames | null;
};

export type Presence = ReturnType<typeof createPresence>;

/** How long a "last seen" may wait before it is stored (with every other one due by then). */
const SEEN_FLUSH_MS = 5_000;

export function createPresence(d: {
  now: () => number;
  store: PresenceStatusStore;
  timers: Timers;
  log: Logger;
  /** A custom status past its end is checked again at least this often (a clock that jumps, a timer late). */
  expiryCheckMs: number;
}) {
  const { now } = d;
  const users = new Map<string, Entry>();
  /** People whose choice has an end, for the expiry timer. */
  const ending = new Set<string>();
  let expiryTimer: ReturnType<typeof setTimeout> | null = null;
  let onExpired: (userIds: string[]) => void = () => undefined;
  /**
   * Last seen, waiting to be stored: written together every few seconds in one transaction, not one
   * durable write per disconnect (a reconnect storm, or a fuzzer's thousands of sockets, would otherwise
   * wait on the disk once per socket). A crash loses at most those seconds of "last seen".
   */
  const seenPending = new Map<string, number>();
  let seenTimer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;
  const flushSeen = (): void => {
    if (seenTimer !== null) d.timers.clearTimeout(seenTimer);
    seenTimer = null;
    if (seenPending.size === 0) return;
    const list = [...seenPending];
    seenPending.clear();
    safely(() => d.store.lastSeenMany(list), 'storing last seen failed');
  };

  const stateOf = (e: Entry): PresenceState => {
    if (e.devices.size === 0) return 'offline';
    if (e.choice.dnd) return 'dnd';
    for (const dev of e.devices.values()) if (dev.state === 'active') return 'online';
    return 'away';
  };
  const expired = (c: PresenceChoice): boolean => c.until > 0 && c.until <= now();

  const entry = (userId: string): Entry => {
    let e = users.get(userId);
    if (e) return e;
    const row = d.store.get(userId);
    const choice =
      row && !expired(row) ? { dnd: row.dnd, emoji: row.emoji, text: row.text, until: row.until } : NO_CHOICE;
    e = { devices: new Map(), choice, lastSeen: row?.lastSeen ?? 0, shown: 'offline', encoded: null };
    users.set(userId, e);
    if (choice.until > 0) {
      ending.add(userId);
      arm();
    }
    return e;
  };

  /** Recomputes what others see; true when it changed (the caller announces it). */
  const touch = (e: Entry, force: boolean): boolean => {
    const s = stateOf(e);
    if (!force && s === e.shown) return false;
    e.shown = s;
    e.encoded = null;
    return true;
  };

  const expireDue = (): string[] => {
    const out: string[] = [];
    for (const id of ending) {
      const e = users.get(id);
      if (!e || !expired(e.choice)) continue;
      ending.delete(id);
      e.choice = NO_CHOICE;
      touch(e, true);
      safely(() => d.store.choose(id, NO_CHOICE), 'storing an expired status failed');
      out.push(id);
    }
    return out;
  };

  /** Ends what is due now and tells the listener (a read found one past its end before the timer). */
  const sweep = (): void => {
    const ids = expireDue();
    if (ids.length > 0) onExpired(ids);
  };

  function arm(): void {
    if (expiryTimer !== null) d.timers.clearTimeout(expiryTimer);
    expiryTimer = null;
    let next = Infinity;
    for (const id of ending) next = Math.min(next, users.get(id)?.choice.until ?? Infinity);
    if (next === Infinity) return;
    const wait = Math.min(d.expiryCheckMs, Math.max(0, next - now()));
    expiryTimer = d.timers.setTimeout(() => {
      expiryTimer = null;
      sweep();
      arm();
    }, wait);
  }

  /** Presence is a courtesy: a storage failure is logged, never thrown into a socket's close. */
  const safely = (f: () => void, what: string): void => {
    try {
      f();
    } catch (err) {
      d.log.warn({ err }, what);
    }
  };

  const frame = (userId: string, e: Entry): FrameOf<'presence'> => ({
    type: 'presence',
    userId,
    status: e.shown,
    emoji: e.choice.emoji,
    text: e.choice.text,
    until: e.choice.until,
    lastSeen: e.lastSeen,
  });

  return {
    /** A device said HELLO. True when the person's shown state changed. */
    connect(userId: string, device: { id: number; tokenHash: string }): boolean {
      const e = entry(userId);
      e.devices.set(device.id, { state: 'active', showing: '', tokenHash: device.tokenHash });
      e.lastSeen = now();
      return touch(e, e.devices.size === 1);
    },
    /** A device's socket ended. The last one stores when the person was last seen (batched: flushSeen). */
    disconnect(userId: string, deviceId: number): boolean {
      const e = users.get(userId);
      if (!e || !e.devices.delete(deviceId)) return false;
      if (e.devices.size > 0) return touch(e, false);
      e.lastSeen = now();
      seenPending.set(userId, e.lastSeen);
      if (disposed) flushSeen();
      else seenTimer ??= d.timers.setTimeout(flushSeen, SEEN_FLUSH_MS);
      return touch(e, true);
    },
    /** A device's own report: its state and the conversation it shows (kept here, never relayed). */
    report(userId: string, deviceId: number, state: DeviceState, showing: string): boolean {
      const dev = users.get(userId)?.devices.get(deviceId);
      if (!dev) return false;
      dev.state = state;
      dev.showing = showing;
      return touch(users.get(userId) as Entry, false);
    },
    /** The person's choice, stored now if it changed (the same choice again writes and sends nothing). */
    choose(userId: string, c: PresenceChoice): boolean {
      const e = entry(userId);
      const was = e.choice;
      if (was.dnd === c.dnd && was.emoji === c.emoji && was.text === c.text && was.until === c.until)
        return false;
      d.store.choose(userId, c);
      e.choice = c;
      if (c.until > 0) ending.add(userId);
      else ending.delete(userId);
      touch(e, true);
      arm();
      return true;
    },
    /** Called with the people whose custom status just ended (by the server's clock). */
    onExpiry(f: (userIds: string[]) => void): void {
      onExpired = f;
    },
    expireDue,
    /** Whether pushes to this person are held back now (DND, until its end). */
    doNotDisturb(userId: string): boolean {
      const e = entry(userId);
      return e.choice.dnd && !expired(e.choice);
    },
    /** Whether the device of this session is visible and showing the conversation (no push for it). */
    showing(userId: string, tokenHash: string, conversationId: string | null): boolean {
      const e = users.get(userId);
      if (!e || conversationId === null) return false;
      for (const dev of e.devices.values())
        if (dev.tokenHash === tokenHash && dev.state !== 'hidden' && dev.showing === conversationId)
          return true;
      return false;
    },
    /** Whether someone is connected now, and when they were last seen (stored across restarts). */
    seen(userId: string): { online: boolean; lastSeen: number } | null {
      const e = entry(userId);
      if (e.devices.size === 0 && e.lastSeen === 0) return null;
      return { online: e.devices.size > 0, lastSeen: e.lastSeen };
    },
    frameFor(userId: string): FrameOf<'presence'> {
      const e = entry(userId);
      if (expired(e.choice)) sweep();
      return frame(userId, e);
    },
    /**
     * The person's frame, encoded once until it changes; null for someone with nothing to show (never
     * seen, no status): a snapshot leaves them out.
     */
    encodedFor(userId: string): EncodedFrames | null {
      const e = entry(userId);
      if (expired(e.choice)) sweep();
      const c = e.choice;
      if (e.devices.size === 0 && e.lastSeen === 0 && !c.dnd && c.emoji === '' && c.text === '') return null;
      e.encoded ??= encodeFrames([frame(userId, e)]);
      return e.encoded;
    },
    /** Stops the timers and stores what waits; a socket closing after this stores its last seen at once. */
    dispose(): void {
      if (expiryTimer !== null) d.timers.clearTimeout(expiryTimer);
      expiryTimer = null;
      disposed = true;
      flushSeen();
    },
  };
}
