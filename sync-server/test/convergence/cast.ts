import { engineInternals } from '@commonroom/engine/testing';
import type { Engine } from '@commonroom/engine';
import type { Mentionable } from '@commonroom/model';
import type { Role } from '@commonroom/protocol';

/**
 * The convergence fuzz's cast and bookkeeping, shared by the simulation (sim/convergence-sim.test.ts, every
 * seed replays exactly) and the real-socket smoke test (convergence.test.ts).
 */

/** Real time for the smoke test, the scheduler's virtual time for the simulation. */
export type Clock = { now(): number; sleep(ms: number): Promise<void> };

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * How long a run is: actions per device, and the steps of the two-device person's mix at which the scenes
 * start. The full size is the smoke test's; the simulation's many seeds run a shorter one (the same paths,
 * fewer times each).
 */
export type RunSize = { actions: number; raceSceneStep: number; readSceneStep: number };
export const FULL_RUN: RunSize = { actions: 40, raceSceneStep: 6, readSceneStep: 22 };
export const SHORT_RUN: RunSize = { actions: 16, raceSceneStep: 3, readSceneStep: 9 };
export const ROLES: Role[] = ['tutor', 'student', 'student', 'tutor', 'student'];
/** The person with a second device (a student): device TWIN and device 5. */
export const TWIN = 1;
export const EMOJI = ['👍', '🎉', '❤️', '👀'];
/** The scenes' reaction, which the random mix never uses. */
export const HANDOFF = '🔁';
export const BROADCAST = ['@channel', '@here', '@everyone'];
/** In every text the server must refuse, to look for it afterwards. */
export const REFUSED_MARK = 'BCAST';

export type Person = Mentionable & { id: string };

export function seedsFromEnv(name = 'CONVERGENCE_SEEDS'): number[] | null {
  const raw = process.env[name];
  if (!raw) return null;
  const out: number[] = [];
  for (const part of raw.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    for (let s = from; s <= to; s++) out.push(s);
  }
  return out;
}

/** What one person asked for, on any of their devices, to check against the final state. */
export type Intent = {
  sent: Map<string, { text: string; parent: string | null; alsoChannel: boolean }>;
  /** Every accepted edit's text per message, with the device that wrote it. */
  edits: Map<string, { text: string; device: number }[]>;
  deleted: Set<string>;
  /** Per `${key} ${emoji}`: the last toggle, and which devices toggled it. */
  reactions: Map<string, { on: boolean; devices: Set<number> }>;
  pins: Map<string, boolean>;
  removals: Set<string>;
  /** The highest arrival position this person marked as read (people with one device). */
  readUpTo: number;
  /** Messages the scripted two-device scenes own: the random mix does not edit or delete them. */
  reserved: Set<string>;
  /** Sends the server must refuse (a student's @channel), by message key: never visible anywhere. */
  doomed: Set<string>;
  /** Edit texts the server must refuse. */
  doomedEdits: Set<string>;
  /** Expected outcomes of the two-device scenes, checked at the end. */
  scenes: {
    editRace: { key: string; texts: string[] }[];
    deleteRace: { key: string; text: string }[];
    handoff: string[];
    /** The read mark the last scene left (nothing writes this person's marks after it). */
    finalRead: number | null;
  };
};

export type Client = {
  /** Device index: 0–4 one per person, 5 the second device of person TWIN. */
  index: number;
  /** Which person (0–4). */
  person: number;
  role: Role;
  id: string;
  me: Mentionable & { id: string };
  engine: Engine;
  clock: Clock;
  intent: Intent;
  /** Steps left before a device the person took offline comes back. */
  offlineSteps: number;
  /**
   * Closes the app on this device and opens it again (a new engine over the same device store), back to
   * #general, online unless the person took the device offline; null where the world does not close apps.
   */
  reopen: (() => Promise<void>) | null;
  log: string[];
  trace: string[];
};

export const newIntent = (): Intent => ({
  sent: new Map(),
  edits: new Map(),
  deleted: new Set(),
  reactions: new Map(),
  pins: new Map(),
  removals: new Set(),
  readUpTo: 0,
  reserved: new Set(),
  doomed: new Set(),
  doomedEdits: new Set(),
  scenes: { editRace: [], deleteRace: [], handoff: [], finalRead: null },
});

export const localOf = (key: string): string => key.slice(key.indexOf(':') + 1);

/** A device's view of one person's read marks: the mark it shows, and each device's entry in its copy. */
export function describeReads(c: Client, conv: string): string {
  const read = engineInternals(c.engine).authorRootsOf(engineInternals(c.engine).ownDocName(conv))?.read;
  return `device ${c.index} shows ${c.engine.view(conv).readSeq}, holds ${JSON.stringify(read?.toJSON() ?? null)}`;
}

export function describeEngine(c: Client): string {
  const s = c.engine.status();
  const outbox = c.engine
    .outbox()
    .map((o) => `${o.kind}:${o.status}${o.error ? `(${o.error.code})` : ''}`)
    .join(',');
  return `client ${c.index} (${c.role}) ${s.connection} settled=${c.engine.isSettled()} waiting=${s.waiting} rejected=${s.rejected} outbox=[${outbox}]`;
}
