import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/** Issue 18 §1: messages render a safe Markdown subset, through the parser, as React elements only. */
describe('message formatting', () => {
  const env = useServerAndBrowser();
  const PHONE = { width: 390, height: 844 };
  const DESKTOP = { width: 1280, height: 800 };

  const msg = (page: Page, text: string) => page.locator('.messages .msg', { hasText: text }).first();

  it('bold, italic, code, code blocks, lists, quotes and links render; mentions and bare links work inside; an edit renders the same', async () => {
    const tess = await addUser(env.ts, env.admin, 'teacher', { name: 'Tess Format' });
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Reader', connect: false });
    const general = channel(tess.engine, 'general');
    await tess.engine.open(general);
    const key = await tess.engine.send(
      general,
      [
        '**Homework** for _Friday_, @Amy.Reader: run `npm test` first.',
        '```',
        'const answer = 42;',
        '```',
        '- read chapter 3',
        '- see https://example.com/notes',
        '1. first',
        '2. second',
        '',
        '> Quote of the day',
        '',
        'Details on [the college site](https://example.com/site) or <mailto:office@example.com>.',
      ].join('\n'),
    );
    await tess.engine.settled();

    const ctx = await env.browser.newContext({ viewport: DESKTOP, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, amy.email, amy.password);
    await openConversation(page, 'general');
    const m = msg(page, 'Homework');
    await m.waitFor();
    const text = m.locator('.text');
    await expect(text.locator('strong').first().innerText()).resolves.toBe('Homework');
    await expect(text.locator('em').innerText()).resolves.toBe('Friday');
    await expect(text.locator('p code').innerText()).resolves.toBe('npm test');
    await expect(text.locator('pre code').innerText()).resolves.toBe('const answer = 42;');
    await expect(text.locator('ul > li').allInnerTexts()).resolves.toEqual([
      'read chapter 3',
      'see https://example.com/notes',
    ]);
    await expect(text.locator('ol > li').allInnerTexts()).resolves.toEqual(['first', 'second']);
    await expect(text.locator('blockquote').innerText()).resolves.toBe('Quote of the day');
    // The reader's own mention keeps its strong style inside formatted text.
    await expect(text.locator('.mention.mention-me').innerText()).resolves.toBe('@Amy.Reader');
    // Bare, bracketed and autolinked addresses are links that open safely.
    const links = await text
      .locator('a')
      .evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]));
    expect(links).toEqual([
      ['https://example.com/notes', 'https://example.com/notes', 'noopener noreferrer nofollow'],
      ['the college site', 'https://example.com/site', 'noopener noreferrer nofollow'],
      ['office@example.com', 'mailto:office@example.com', 'noopener noreferrer nofollow'],
    ]);
    // The marks themselves are not shown.
    expect(await text.innerText()).not.toMatch(/\*\*|```|\]\(/);
    await screenshot(page, 'formatting-desktop');
    expect(await axeSerious(page)).toEqual([]);
    await page.setViewportSize(PHONE);
    await m.scrollIntoViewIfNeeded();
    await screenshot(page, 'formatting-phone');
    expect(await axeSerious(page)).toEqual([]);

    // An edit is drawn by the same renderer.
    await tess.engine.edit(general, key.slice(key.indexOf(':') + 1), 'Now **only bold** and `code`');
    await tess.engine.settled();
    const edited = msg(page, 'only bold');
    await edited.locator('strong', { hasText: 'only bold' }).waitFor();
    await expect(edited.locator('.text code').innerText()).resolves.toBe('code');
    await expect(edited.locator('.edited').count()).resolves.toBe(1);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('T-XSS: the corpus, Markdown vectors included, runs nothing: no element, handler or href but the safe ones, no <img> from Markdown', async () => {
    const tess = await addUser(env.ts, env.admin, 'teacher', { name: 'Tess Vectors' });
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Target', connect: false });
    const general = channel(tess.engine, 'general');
    await tess.engine.open(general);
    const corpus = [
      '<script>window.__xss = 1</script>',
      '<img src=x onerror="window.__xss = 2">',
      '<svg onload="window.__xss = 3"></svg>',
      '<iframe src="javascript:window.__xss = 4"></iframe>',
      '[click me](javascript:window.__xss=5)',
      '[click me too](JaVaScRiPt:window.__xss=6)',
      '[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9Nzwvc2NyaXB0Pg==)',
      '<javascript:window.__xss=8>',
      '![](javascript:window.__xss=9)',
      '![a picture](https://example.com/cat.png)',
      '[x](vbscript:msgbox(1))',
      '**<b onmouseover="window.__xss=10">bold</b>**',
      '`<img src=x onerror="window.__xss=11">`',
      '```html\n<script>window.__xss = 12</script>\n```',
      '[x]: javascript:window.__xss=13\n[x]',
      '&lt;img src=x onerror=alert(1)&gt; &#106;avascript:',
      '[entity](&#106;avascript:window.__xss=14)',
      '> <a href="javascript:window.__xss=15">quoted link</a>',
    ];
    for (const v of corpus) await tess.engine.send(general, `${v} end-of-vector`);
    await tess.engine.settled();

    // bypassCSP: the renderer alone must hold, without the page's policy behind it. A tall window, so the
    // virtualised list draws every vector at once (the count below waits for all of them in the DOM).
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 2400 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const res = await page.goto(env.ts.url);
    // The strict policy is still what the server sends.
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await signIn(page, env.ts.url, amy.email, amy.password);
    await openConversation(page, 'general');
    await eventually(async () =>
      expect(await page.locator('.messages .msg', { hasText: 'end-of-vector' }).count()).toBe(corpus.length),
    );
    const found = await page.evaluate(() => {
      const root = document.querySelector('.messages');
      // The app's own drawn icons (svg.icon: the pinned mark, the toolbar) are not message content.
      const all = [...(root?.querySelectorAll('*') ?? [])].filter((e) => !e.closest('svg.icon'));
      return {
        xss: (window as unknown as { __xss?: number }).__xss ?? null,
        tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))].sort(),
        handlers: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)),
        hrefs: [...(root?.querySelectorAll('[href]') ?? [])].map((a) => a.getAttribute('href')),
        srcs: [...(root?.querySelectorAll('[src]') ?? [])].length,
      };
    });
    expect(found.xss).toBeNull();
    expect(dialogs).toEqual([]);
    expect(found.handlers).toEqual([]);
    expect(found.srcs).toBe(0);
    for (const bad of ['script', 'img', 'svg', 'iframe', 'object', 'embed', 'style', 'b'])
      expect(found.tags).not.toContain(bad);
    for (const href of found.hrefs) expect(href).toMatch(/^(https?:|mailto:)/);
    // The Markdown picture is a link to its address, named by its description; what a person typed as
    // HTML stays the letters they typed.
    await expect(page.getByRole('link', { name: 'a picture' }).getAttribute('href')).resolves.toBe(
      'https://example.com/cat.png',
    );
    await expect(msg(page, 'click me too').locator('a').count()).resolves.toBe(0);
    await expect(msg(page, 'onerror="window.__xss = 2"').innerText()).resolves.toContain(
      '<img src=x onerror="window.__xss = 2">',
    );
    await expect(msg(page, '&lt;img').innerText()).resolves.toContain('&lt;img src=x onerror=alert(1)&gt;');
    await screenshot(page, 'formatting-xss-corpus');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('the composer explains formatting behind a labelled "Aa" button, at phone and desktop sizes', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Hint', connect: false });
    for (const [size, name] of [
      [PHONE, 'phone'],
      [DESKTOP, 'desktop'],
    ] as const) {
      const ctx = await env.browser.newContext({ viewport: size, bypassCSP: true });
      const page = await ctx.newPage();
      const errors = watchErrors(page);
      await signIn(page, env.ts.url, amy.email, amy.password);
      await openConversation(page, 'general');
      const button = page.getByRole('button', { name: 'Formatting help' });
      await expect(button.getAttribute('aria-expanded')).resolves.toBe('false');
      await button.click();
      await expect(button.getAttribute('aria-expanded')).resolves.toBe('true');
      const hint = page.locator(`#${CSS_ESCAPE(await button.getAttribute('aria-controls'))}`);
      await expect(hint.innerText()).resolves.toContain('**bold**');
      await expect(hint.innerText()).resolves.toContain('_italic_');
      await screenshot(page, `formatting-hint-${name}`);
      expect(await axeSerious(page)).toEqual([]);
      await button.click();
      await expect(hint.isVisible()).resolves.toBe(false);
      expect(errors).toEqual([]);
      await ctx.close();
    }
  });
});

/** React's useId ids hold colons: a CSS selector needs them escaped. */
const CSS_ESCAPE = (id: string | null): string => (id ?? '').replace(/[^a-zA-Z0-9_-]/g, (c) => `\\${c}`);
