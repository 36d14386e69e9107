import { mentionHandle } from '@commonroom/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  texts,
  type TestServer,
} from './harness.ts';

/** Activity (issue 15 §2) through engines on a real server: counted from documents and read marks alone. */
describe('activity: mentions and thread replies, counted the same on every device of a person', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startServer();
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('a device offline while others wrote and read counts right when it comes back, and reading on one clears the other', async () => {
    const admin = await loginAdmin(ts);
    const amy = await addUser(ts, admin, 'student', { name: 'Amy Activity' });
    const ben = await addUser(ts, admin, 'student', { name: 'Ben Activity' });
    const phone = amy.engine;
    const desktop = makeEngine(ts.url);
    await desktop.init();
    await desktop.login(amy.email, amy.password);
    desktop.connect();
    const general = channel(phone, 'general');
    await desktop.open(general);
    await desktop.settled();
    const handle = `@${mentionHandle(phone.me() ?? { displayName: '' })}`;

    await phone.send(general, 'Who has the notes for unit 4?');
    await phone.settled();
    const question = phone.view(general).messages.at(-1);
    if (!question) throw new Error('no question');

    // The phone goes offline; Ben mentions Amy and answers in her thread; the desktop hears both.
    phone.disconnect();
    await ben.engine.send(general, `${handle} see you at 3`);
    await ben.engine.send(general, 'I have them', { parent: question.key });
    await ben.engine.send(general, 'Not for Amy');
    // Its code loads on first use: null until then, and the engine notifies when it is there.
    expect(desktop.activity()).toBeNull();
    await eventually(() => expect(desktop.activity()?.unread).toBe(2));
    expect(desktop.activity()?.items.map((i) => [i.reason, i.text])).toEqual([
      ['reply', 'I have them'],
      ['mention', `${handle} see you at 3`],
    ]);
    await eventually(() => expect(phone.activity()).toEqual({ items: [], unread: 0 }));

    // Read on the desktop, then the desktop goes away; the phone comes back and counts nothing unread.
    await desktop.markRead(general);
    await desktop.settled();
    expect(desktop.activity()?.unread).toBe(0);
    desktop.disconnect();
    phone.connect();
    await phone.settled();
    await eventually(() => {
      expect(texts(phone, general)).toContain('Not for Amy');
      expect(phone.activity()?.items).toHaveLength(2);
      expect(phone.activity()?.unread).toBe(0);
    });

    // While the desktop is offline Ben writes again: the phone counts it, reads it; the desktop comes back
    // and never counts it as unread once it has the phone's mark.
    await ben.engine.send(general, `${handle} one more thing`);
    await eventually(() => expect(phone.activity()?.unread).toBe(1));
    await phone.markRead(general);
    await phone.settled();
    desktop.connect();
    await desktop.settled();
    await eventually(() => {
      expect(desktop.activity()?.items[0]?.text).toBe(`${handle} one more thing`);
      expect(desktop.activity()?.unread).toBe(0);
    });

    // Kept while nothing changes: the same object, not a new walk per render.
    expect(phone.activity()).toBe(phone.activity());
    desktop.disconnect();
  });
});
