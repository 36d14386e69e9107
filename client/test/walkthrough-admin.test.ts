import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '@commonroom/engine';
import { AdminUserPage, ImportOutcome, ImportPreview, OkReply, QueuePage } from '@commonroom/protocol';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { ADMIN, addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, SCREENSHOTS, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * Issue 18's standard for the admin console and the safeguarding area: a realistic college (three hundred
 * people from a roster import, cohorts, channels, an audit log with history, reports and a keyword alert in
 * the queue, a supervised DM, a removed message) walked screen by screen at phone (390×844) and desktop
 * (1280×800) sizes. Each screen is photographed whole into `.test-artifacts/screenshots/walkthrough-*.png`
 * for a person to judge, and checked by machine for what a person misses: axe's serious findings, a page
 * wider than the phone (a clipped table), and controls smaller than a finger on a phone.
 */

const SIZES = [
  ['phone', { width: 390, height: 844 }],
  ['desktop', { width: 1280, height: 800 }],
] as const;

const COHORTS = [
  'level3-adult-care',
  'level2-it-skills',
  'bio-l3',
  'maths-gcse',
  'english-gcse',
  'plumbing-l2',
] as const;
const FIRST = [
  'Aisha',
  'Ben',
  'Chloe',
  'Daniel',
  'Ella',
  'Farah',
  'George',
  'Hannah',
  'Isaac',
  'Jade',
  'Kieran',
  'Leah',
  'Mohammed',
  'Niamh',
  'Oliver',
  'Priya',
  'Rhys',
  'Sophie',
  'Tomasz',
  'Zara',
];
const LAST = [
  'Khan',
  'Carter',
  'Okafor',
  'Walsh',
  'Brown',
  'Nowak',
  'Patel',
  'Evans',
  'Hughes',
  'Murphy',
  'Ali',
  'Jones',
  'Williams',
  'Taylor',
  'Davies',
  'Singh',
  'Wright',
  'Robinson',
  'Thompson',
  'Wood',
];

/** Three hundred people: students in one or two cohorts, then tutors, teachers and support staff. */
function roster(): string {
  const lines = ['name,email,username,role,cohorts'];
  for (let i = 0; i < 300; i++) {
    const name = `${FIRST[i % 20]} ${LAST[Math.floor(i / 20)]}`;
    const login = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${i}@college.test`;
    const role = i < 260 ? 'student' : i < 280 ? 'tutor' : i < 292 ? 'teacher' : 'staff';
    const cohorts =
      role === 'student'
        ? [COHORTS[i % 6], ...(i % 5 === 0 ? [COHORTS[(i + 1) % 6]] : [])].join(';')
        : role === 'tutor'
          ? COHORTS[i % 6]
          : '';
    lines.push(`${name},${login},,${role},${cohorts}`);
  }
  return lines.join('\n');
}

/** What a person would call unfinished and a machine can see, at one size. */
async function machineChecks(page: Page): Promise<{ overflow: number; small: string[] }> {
  return page.evaluate(() => {
    const overflow = document.documentElement.scrollWidth - window.innerWidth;
    const small: string[] = [];
    if (window.innerWidth < 500) {
      // Touch targets: a control (or the label that wraps a checkbox or radio) at least 44 px tall. Links
      // inside a sentence are exempt (WCAG 2.5.8), and so are controls no one can reach.
      const controls = document.querySelectorAll<HTMLElement>(
        'button, select, input:not([type=checkbox]):not([type=radio]):not([type=file]), textarea, a.button, label:has(> input[type=checkbox]), label:has(> input[type=radio]), nav a',
      );
      for (const el of controls) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (el.closest('[hidden], .visually-hidden, .skip-link')) continue;
        if (r.height < 43.5)
          small.push(
            `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}" ${Math.round(r.width)}×${Math.round(r.height)}`,
          );
      }
    }
    return { overflow, small };
  });
}

describe('issue 18: a walk through the admin console and the safeguarding area at phone and desktop sizes', () => {
  const env = useServerAndBrowser();

  it('every admin and safeguarding screen, seeded like a college: axe clean, nothing wider than a phone, targets a finger can hit', async () => {
    const { ts, admin } = env;
    mkdirSync(SCREENSHOTS, { recursive: true });

    // The college: the roster through the import's own preview and commit.
    const csv = roster();
    const preview = await admin.api.request(
      'POST',
      '/api/admin/users/import/preview',
      ImportPreview,
      csv,
      'text/csv',
    );
    expect(preview.counts.new).toBe(300);
    await admin.api.request(
      'POST',
      `/api/admin/users/import/commit?digest=${encodeURIComponent(preview.digest)}`,
      ImportOutcome,
      csv,
      'text/csv',
    );
    // The people who act in it (with passwords), and a safeguarding lead.
    const amy = await addUser(ts, admin, 'student', { name: 'Amy Clarke' });
    const ben = await addUser(ts, admin, 'student', { name: 'Ben Foster' });
    const cara = await addUser(ts, admin, 'student', { name: 'Cara Nwosu' });
    const lena = await addUser(ts, admin, 'staff', { name: 'Lena Marsh' });
    const post = (e: Engine, path: string, body: unknown, method: 'POST' | 'PUT' | 'PATCH' = 'POST') =>
      e.api.request(method, path, z.unknown(), body);
    await post(admin, `/api/admin/users/${lena.id}/safeguarding-lead`, { lead: true }, 'PUT');
    await post(admin, `/api/admin/users/${amy.id}`, { cohorts: ['bio-l3', 'maths-gcse'] }, 'PATCH');
    // A role change for the audit log's history: a tutor becomes a teacher.
    const [tutor] = (await admin.api.request('GET', '/api/admin/users?role=tutor&limit=1', AdminUserPage))
      .users;
    await post(admin, `/api/admin/users/${tutor?.id ?? ''}/role`, { role: 'teacher' }, 'PATCH');
    // Channels of every kind, one bound to a cohort, one with a long name.
    for (const c of [
      { name: 'biology-l3', kind: 'public', cohort: 'bio-l3', description: 'Biology level 3, year 1' },
      { name: 'staff-room', kind: 'private', description: 'For staff only' },
      {
        name: 'college-news',
        kind: 'announcement',
        postPolicy: 'staff',
        description: 'News from the college',
      },
      { name: 'level3-health-and-social-care-year-1-group-b', kind: 'public', cohort: 'level3-adult-care' },
      { name: 'study-skills', kind: 'public', topic: 'Essay help, referencing and revision' },
    ])
      await post(admin, '/api/admin/channels', c);

    // Conversations in #general, two reports and a keyword alert for the lead's queue.
    const general = channel(ben.engine, 'general');
    for (const [who, text] of [
      [amy, 'Is the library open on Saturday?'],
      [ben, 'Nobody wants you in this group, just leave'],
      [cara, 'That is not nice, Ben.'],
      [ben, 'Everyone is laughing at you'],
    ] as const) {
      await who.engine.send(general, text);
      await who.engine.settled();
    }
    const byText = (text: string) => {
      const m = amy.engine.view(general).messages.find((x) => x.text === text);
      if (!m) throw new Error(`no message "${text}"`);
      return m;
    };
    let n = 0;
    const report = async (e: Engine, text: string, reason: string, detail: string) => {
      const m = byText(text);
      await post(e, '/api/safeguarding/reports', {
        id: `walkthrough-report-${++n}`,
        conversationId: general,
        authorId: m.authorId,
        localId: m.localId,
        reason,
        detail,
      });
    };
    await eventually(() => void byText('Everyone is laughing at you'));
    await report(
      amy.engine,
      'Nobody wants you in this group, just leave',
      'bullying',
      'He has said this all week.',
    );
    await report(cara.engine, 'Everyone is laughing at you', 'harassment', '');
    await lena.engine.api.request('PUT', '/api/safeguarding/keywords', z.unknown(), {
      phrases: ['meet me alone', 'hurt my*'],
    });
    await ben.engine.send(general, 'Meet me alone behind the sports hall after college');
    await ben.engine.settled();
    // The lead works the first report: in review, assigned, a note; and removes the second message.
    const queue = async () =>
      (await lena.engine.api.request('GET', '/api/safeguarding/items?status=all', QueuePage)).items;
    await eventually(async () => expect(await queue()).toHaveLength(3));
    const [alert, second, first] = await queue();
    if (!alert || !second || !first) throw new Error('the queue is short');
    await post(
      lena.engine,
      `/api/safeguarding/items/${first.id}`,
      { status: 'in_review', assigneeId: lena.id },
      'PATCH',
    );
    await lena.engine.api.request('POST', `/api/safeguarding/items/${first.id}/notes`, OkReply, {
      text: 'Spoke to Amy at lunch; she feels safe. Meeting Ben with his tutor tomorrow.',
    });
    await post(lena.engine, `/api/safeguarding/items/${second.id}/remove`, {
      reason: 'Harassment of another student',
    });
    // Supervised DMs between students, supervised by the lead.
    await post(
      admin,
      '/api/admin/settings',
      { studentDmPolicy: 'supervised', dmSupervisorId: lena.id },
      'PATCH',
    );
    const dm = await amy.engine.openDm([cara.id]);
    await amy.engine.send(dm.id, 'Are you going to the open evening on Thursday?');
    await amy.engine.settled();
    // A little more history in the audit log: failed sign-ins and a role change.
    for (let i = 0; i < 3; i++)
      await fetch(`${ts.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'amy.clarke', password: `guess ${i}` }),
      });

    const findings: string[] = [];
    const axe: string[] = [];
    const ctx = await env.browser.newContext({ viewport: SIZES[1][1], bypassCSP: true, locale: 'en-GB' });
    const page = await ctx.newPage();
    const lctx = await env.browser.newContext({ viewport: SIZES[1][1], bypassCSP: true, locale: 'en-GB' });
    const lead = await lctx.newPage();
    const errors = watchErrors(page, lead);

    /** The screen as it is now at both sizes: photographed whole, axe, overflow and targets checked. */
    const shoot = async (p: Page, name: string, part?: Locator) => {
      for (const [size, viewport] of SIZES) {
        await p.setViewportSize(viewport);
        for (const v of await axeSerious(p)) axe.push(`${name} ${size}: ${v.id} (${v.count}): ${v.help}`);
        const { overflow, small } = await machineChecks(p);
        if (overflow > 0) findings.push(`${name} ${size}: the page is ${overflow}px wider than the screen`);
        for (const s of small) findings.push(`${name} ${size}: small target ${s}`);
        const path = join(SCREENSHOTS, `walkthrough-${name}-${size}.png`);
        if (part) await part.screenshot({ path });
        else if (await p.getByRole('dialog').count()) await p.screenshot({ path });
        else {
          // Whole, up to three screens: enough to judge a long list's rows and the page's end.
          const height = await p.evaluate(() => document.documentElement.scrollHeight);
          const clip = { x: 0, y: 0, width: viewport.width, height: Math.min(height, viewport.height * 3) };
          await p.screenshot({ path, fullPage: true, clip });
        }
      }
      await p.setViewportSize(SIZES[1][1]);
    };

    // People.
    await signIn(page, ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${ts.url}/admin/people`);
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await page.locator('.admin-table tbody tr[data-person]').nth(49).waitFor();
    await shoot(page, 'people');
    await page.getByLabel('Search people').fill('khan');
    await eventually(async () =>
      expect(await page.locator('.admin-table tbody .person-link').allInnerTexts()).toContain('Aisha Khan'),
    );
    await shoot(page, 'people-search');
    await page.getByLabel('Search people').fill('nobody like this');
    await page.getByText('No one matches this search.').waitFor();
    await shoot(page, 'people-search-empty');
    await page.goto(`${ts.url}/admin/people/${amy.id}`);
    await page.getByRole('heading', { name: 'Amy Clarke', level: 1 }).waitFor();
    await shoot(page, 'person');
    await page.goto(`${ts.url}/admin/people/${lena.id}`);
    await page.getByRole('button', { name: 'Remove safeguarding lead' }).waitFor();
    await shoot(page, 'person-lead');
    await page.goto(`${ts.url}/admin/people`);
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByRole('dialog', { name: 'Add a person' }).waitFor();
    await shoot(page, 'add-person');
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'Import from CSV' }).click();
    await page.getByRole('heading', { name: 'Import people from CSV', level: 1 }).waitFor();
    await shoot(page, 'import');
    await page.locator('input[type=file]').setInputFiles({
      name: 'roster.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        [
          'name,email,username,role,cohorts',
          'Nadia Hussain,nadia.hussain@college.test,,student,bio-l3',
          'Ben Carter,,ben.c24,student,level2-it-skills;level2-customer-service',
          `Amy Clarke,${amy.email},,student,bio-l3;maths-gcse`,
          'Grace Okafor,grace.okafor.new@college.test,,teacher,',
          ',missing.name@college.test,,student,',
          'Bad Role,bad.role@college.test,,headteacher,',
          'Bad Email,not-an-address,,student,',
        ].join('\n'),
      ),
    });
    await page.getByRole('heading', { name: '2. Check what will happen' }).waitFor();
    await shoot(page, 'import-preview');

    // Channels.
    await page.goto(`${ts.url}/admin/channels`);
    await page.locator('.admin-table tbody tr[data-channel="general"]').waitFor();
    await shoot(page, 'channels');
    await page.getByRole('link', { name: '#biology-l3' }).click();
    await page.getByRole('heading', { name: '#biology-l3', level: 1 }).waitFor();
    await page.locator('.admin-table tr[data-member]').first().waitFor();
    await shoot(page, 'channel');
    await page.getByRole('link', { name: '← Channels' }).click();
    await page.getByRole('button', { name: 'New channel' }).click();
    await page
      .getByRole('dialog', { name: 'New channel' })
      .getByLabel('Name')
      .pressSequentially('Chemistry L3');
    await shoot(page, 'channel-create');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Post to several channels' }).click();
    const announce = page.getByRole('dialog', { name: 'Post to several channels' });
    await announce.getByRole('checkbox', { name: /#general/ }).check();
    await announce.getByLabel('Message').fill('Enrolment closes on Friday at 5pm.');
    await shoot(page, 'announce');
    await page.keyboard.press('Escape');

    // Settings, card by card.
    await page.goto(`${ts.url}/admin/settings`);
    await page.getByRole('group', { name: 'Attachments' }).waitFor();
    await shoot(page, 'settings');
    for (const [name, card] of [
      ['settings-workspace', page.locator('form.settings-form').first()],
      ['settings-quiet-hours', page.getByRole('group', { name: 'Quiet hours' })],
      ['settings-retention', page.getByRole('group', { name: 'Retention' })],
      ['settings-attachments', page.getByRole('group', { name: 'Attachments' })],
    ] as const)
      await shoot(page, name, card);

    // Audit: filtered, and the chain verified.
    await page.goto(`${ts.url}/admin/audit`);
    await page.locator('.audit-table tbody tr[data-entry]').first().waitFor();
    await shoot(page, 'audit');
    await page.getByLabel('Action').selectOption({ label: 'Changed a role' });
    await eventually(async () =>
      expect(await page.locator('.audit-table tbody tr[data-entry]').count()).toBe(1),
    );
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText('The audit log is intact.').waitFor();
    await shoot(page, 'audit-verified');

    // Safeguarding, as the lead.
    await signIn(lead, ts.url, lena.email, lena.password);
    await lead.goto(`${ts.url}/safeguarding`);
    await eventually(async () => expect(await lead.locator('tr[data-item]').count()).toBe(3));
    await shoot(lead, 'sg-queue');
    await lead.getByRole('link', { name: `Report #${first.id}` }).click();
    await lead.getByRole('heading', { name: `Report #${first.id}`, level: 1 }).waitFor();
    await lead.getByText('Spoke to Amy at lunch', { exact: false }).waitFor();
    await shoot(lead, 'sg-item');
    await lead.goto(`${ts.url}/safeguarding/items/${second.id}`);
    await lead.getByText('Removed for everyone', { exact: false }).first().waitFor();
    await shoot(lead, 'sg-item-removed');
    await lead.goto(`${ts.url}/safeguarding/items/${alert.id}`);
    await lead.getByRole('heading', { name: `Alert #${alert.id}`, level: 1 }).waitFor();
    await shoot(lead, 'sg-alert');
    await lead.goto(`${ts.url}/safeguarding/keywords`);
    await lead.getByLabel('Words and phrases, one a line').waitFor();
    await shoot(lead, 'sg-keywords');
    await lead.goto(`${ts.url}/safeguarding/monitor`);
    await lead.getByLabel('Find a conversation').fill('Amy');
    await lead
      .getByRole('button', { name: /^Open Direct message: Amy Clarke/ })
      .first()
      .waitFor();
    await shoot(lead, 'sg-monitor');
    await lead
      .getByRole('button', { name: /^Open Direct message: Amy Clarke/ })
      .first()
      .click();
    const ask = lead.getByRole('dialog', { name: 'Why are you opening this conversation?' });
    await ask.getByLabel('Reason').fill('Checking supervised conversation after a report');
    await shoot(lead, 'sg-monitor-reason');
    await ask.getByRole('button', { name: 'Open read-only' }).click();
    await lead.getByText('Are you going to the open evening on Thursday?').waitFor();
    await shoot(lead, 'sg-monitor-transcript');
    await lead.goto(`${ts.url}/safeguarding/export`);
    await lead.getByRole('heading', { name: 'Export', level: 1 }).waitFor();
    await shoot(lead, 'sg-export');

    // The profile page.
    await lead.goto(`${ts.url}/profile`);
    await lead.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
    await shoot(lead, 'profile');

    expect(axe).toEqual([]);
    expect(findings).toEqual([]);
    expect(errors).toEqual([]);
    await ctx.close();
    await lctx.close();
  }, 240_000);
});
