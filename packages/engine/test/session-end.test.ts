import { CLOSE, SESSION_END } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import {
  createSessionEndWatch,
  sessionEndOfClose,
  sessionEndOfHttp,
  type SessionEnded,
} from '../src/session-end.ts';

/** T10: only the server's own words end a session on the device, and only two of them wipe it. */
describe('T10: the session-end watch', () => {
  it('T10: reads the reason of a 4001/4002 close and of a 401 body, and nothing else', () => {
    expect(sessionEndOfClose(CLOSE.sessionRevoked, 'account-deactivated')).toBe(SESSION_END.deactivated);
    expect(sessionEndOfClose(CLOSE.sessionRevoked, 'signed-out-everywhere')).toBe(
      SESSION_END.signedOutEverywhere,
    );
    expect(sessionEndOfClose(CLOSE.sessionRevoked, 'session-revoked: logged out')).toBe(SESSION_END.revoked);
    // An older server's free text is a revocation, never a wipe.
    expect(sessionEndOfClose(CLOSE.sessionRevoked, 'account deactivated')).toBe(SESSION_END.revoked);
    expect(sessionEndOfClose(CLOSE.unauthenticated, 'account-deactivated')).toBe(SESSION_END.notLoggedIn);
    for (const code of [1000, 1006, 4003, 4100, 4101, undefined])
      expect(sessionEndOfClose(code, 'account-deactivated')).toBeNull();
    expect(sessionEndOfHttp(401, 'account-deactivated')).toBe(SESSION_END.deactivated);
    expect(sessionEndOfHttp(401, 'invalid-credentials')).toBeNull();
    // A captive portal or proxy answering with its own page: no words of ours, no wipe.
    expect(sessionEndOfHttp(401, 'http-error')).toBeNull();
    expect(sessionEndOfHttp(403, 'account-deactivated')).toBeNull();
    expect(sessionEndOfHttp(200, 'signed-out-everywhere')).toBeNull();
  });

  it('T10: tells once, says whether to wipe, tells a late listener, and stays quiet while this device signs out', () => {
    const w = createSessionEndWatch();
    const heard: SessionEnded[] = [];
    w.onEnded((e) => heard.push(e));
    w.fromHttp(500, 'internal');
    w.fromClose(1006, '');
    expect(heard).toEqual([]);
    w.fromClose(CLOSE.sessionRevoked, 'account-deactivated');
    w.fromHttp(401, 'account-deactivated');
    w.fromHttp(401, 'not-logged-in');
    expect(heard).toEqual([{ reason: 'account-deactivated', wipe: true }]);
    const late: SessionEnded[] = [];
    w.onEnded((e) => late.push(e));
    expect(late).toEqual([{ reason: 'account-deactivated', wipe: true }]);

    w.reset();
    w.fromHttp(401, 'not-logged-in');
    expect(heard.at(-1)).toEqual({ reason: 'not-logged-in', wipe: false });
    w.reset();
    w.leaving();
    w.fromClose(CLOSE.sessionRevoked, 'session-revoked: logged out');
    expect(heard).toHaveLength(2);
  });

  it('T10: a wiping end heard after a milder one still wipes (an expiry, then the account deactivated)', () => {
    const w = createSessionEndWatch();
    const heard: SessionEnded[] = [];
    w.onEnded((e) => heard.push(e));
    w.fromHttp(401, 'not-logged-in');
    w.fromClose(CLOSE.sessionRevoked, 'account-deactivated');
    w.fromHttp(401, 'session-revoked');
    expect(heard).toEqual([
      { reason: 'not-logged-in', wipe: false },
      { reason: 'account-deactivated', wipe: true },
    ]);
    expect(w.ended()).toEqual({ reason: 'account-deactivated', wipe: true });
  });
});
