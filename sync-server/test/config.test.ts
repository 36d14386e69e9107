import { LIMITS } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_WS_COMPRESSION, parseConfig } from '../src/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      port: 8787,
      dataDir: './data',
      publicUrl: 'http://localhost:8787',
      secureCookies: false,
      admin: null,
      scryptLogN: 17,
    });
    expect(c.allowedOrigins).toContain('http://127.0.0.1:8787');
  });

  it('P10: the default allowances let an honest engine through: a full frame of new messages fits the burst', () => {
    const { limits } = parseConfig({});
    expect(limits.newMessagesPerUpdate).toBe(LIMITS.maxNewMessagesPerFrame);
    expect(limits.newMessageBurst).toBeGreaterThanOrEqual(LIMITS.maxNewMessagesPerFrame);
    // More than one person's sockets may open at once, and a device reconnecting is never held long.
    expect(limits.handshakeBurstPerAccount).toBeGreaterThan(LIMITS.maxSocketsPerUser);
    expect(1000 / limits.handshakesPerSecondPerAccount).toBeLessThanOrEqual(2_000);
  });

  it('names the variable that is wrong', () => {
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() =>
      parseConfig({ ADMIN_EMAIL: 'not-an-email', ADMIN_PASSWORD: 'long enough password' }),
    ).toThrow(/ADMIN_EMAIL/);
    expect(() => parseConfig({ ADMIN_EMAIL: 'a@b.test' })).toThrow(
      /ADMIN_EMAIL and ADMIN_PASSWORD must be set together/,
    );
    expect(() => parseConfig({ ADMIN_EMAIL: 'a@b.test', ADMIN_PASSWORD: 'short' })).toThrow(
      /ADMIN_PASSWORD: must be at least 10 characters/,
    );
    expect(() => parseConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('says DATABASE_URL and REDIS_URL are not used yet (issue 21), instead of passing over them in silence', () => {
    expect(parseConfig({}).warnings).toEqual([]);
    expect(parseConfig({ DATABASE_URL: 'postgres://127.0.0.1/commonroom' }).warnings).toEqual([
      expect.stringMatching(/^DATABASE_URL is set but not used: .*SQLite database in DATA_DIR/),
    ]);
    expect(
      parseConfig({ DATABASE_URL: 'postgres://127.0.0.1/commonroom', REDIS_URL: 'redis://127.0.0.1' })
        .warnings,
    ).toEqual([expect.stringMatching(/^DATABASE_URL and REDIS_URL are set but not used/)]);
    // Set but empty (a blank line in a service file) is unset.
    expect(parseConfig({ DATABASE_URL: '', REDIS_URL: '' }).warnings).toEqual([]);
  });

  it('compresses the sync socket unless WS_COMPRESSION=off', () => {
    expect(parseConfig({}).wsCompression).toEqual(DEFAULT_WS_COMPRESSION);
    expect(parseConfig({ WS_COMPRESSION: 'off' }).wsCompression).toBeNull();
    expect(() => parseConfig({ WS_COMPRESSION: 'gzip' })).toThrow(/WS_COMPRESSION/);
  });

  it('uses Secure cookies and the public origin behind HTTPS', () => {
    const c = parseConfig({
      PUBLIC_URL: 'https://chat.college.ac.uk/',
      ALLOWED_ORIGINS: 'https://other.college.ac.uk',
    });
    expect(c.secureCookies).toBe(true);
    expect(c.publicUrl).toBe('https://chat.college.ac.uk');
    expect(c.allowedOrigins).toEqual(['https://chat.college.ac.uk', 'https://other.college.ac.uk']);
  });
});
