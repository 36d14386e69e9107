import { runStormClient, type StormOutcome, type StormSpec } from './clients/storm-client.ts';
import { encodeHistogram, newHistogram } from './hist.ts';
import { serveParent } from './proc.ts';

/**
 * A load process for the reconnect storm: holds a share of the devices with the replicas they had when
 * they went away, then, at the instant the parent names, lets every one of them reconnect as the engine
 * would (see clients/storm-client.ts). Bounded by the deadline the parent gives.
 */

let port = 0;
let specs: StormSpec[] = [];
let states = new Map<string, Uint8Array>();
let missedFrom = 0;
let directoryEtag: string | null = null;

serveParent({
  ping: () => ({}),
  prepare(m) {
    port = m.port as number;
    specs = m.specs as StormSpec[];
    missedFrom = m.missedFrom as number;
    directoryEtag = (m.directoryEtag as string | null) ?? null;
    // One table for all devices: devices that held the same document held the same state of it.
    states = new Map((m.states as [string, string][]).map(([n, b]) => [n, Buffer.from(b, 'base64')]));
    return { devices: specs.length };
  },
  async storm(m) {
    const startNs = BigInt(m.startNs as string);
    const deadlineNs = startNs + BigInt(m.deadlineMs as number) * 1_000_000n;
    const cpu0 = process.cpuUsage();
    const outcomes: StormOutcome[] = await Promise.all(
      specs.map((s) => runStormClient(port, s, states, { startNs, deadlineNs, missedFrom, directoryEtag })),
    );
    // The devices' own CPU: on a 2-core machine it competes with the server's.
    const cpu = process.cpuUsage(cpu0);
    const caughtUp = newHistogram();
    for (const o of outcomes)
      if (o.caughtUpMs !== null) caughtUp.recordValue(Math.max(1, Math.round(o.caughtUpMs * 1000)));
    const sum = (f: (o: StormOutcome) => number): number => outcomes.reduce((n, o) => n + f(o), 0);
    const result = {
      caughtUp: encodeHistogram(caughtUp),
      loadCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      devices: outcomes.length,
      complete: outcomes.filter((o) => o.caughtUpMs !== null).length,
      lastCaughtUpMs: Math.max(0, ...outcomes.map((o) => o.caughtUpMs ?? 0)),
      lastHttpDoneMs: Math.max(0, ...outcomes.map((o) => o.httpDoneMs ?? 0)),
      retries: sum((o) => o.attempts - 1),
      socketBytes: sum((o) => o.socketBytes),
      httpBytes: sum((o) => o.httpBytes),
      documents: sum((o) => o.documents),
      documentsHeld: sum((o) => o.documentsHeld),
      missedSeen: sum((o) => o.missedSeen),
      missedExpected: specs.reduce((n, s) => n + s.expectMissed, 0),
    };
    caughtUp.destroy();
    return result;
  },
});
