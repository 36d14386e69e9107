import { parseConfig } from '../src/config.ts';
import { createCommonroomServer } from '../src/server.ts';
import { MANY_HANDSHAKES, MANY_MESSAGES } from './harness.ts';

/**
 * The real server for kill -9 tests (server-process.ts), stopped only by SIGKILL. Its writers send faster
 * than a person and reconnect after every kill, so the message and handshake allowances are lifted (they
 * have their own tests: chat-flood, rate-limits); `TEST_SEGMENT_SIZE`, when set, makes segments small
 * enough to roll over within a test.
 */
const config = parseConfig(process.env);
const segmentSize = process.env.TEST_SEGMENT_SIZE;
config.limits = {
  ...config.limits,
  ...MANY_MESSAGES,
  ...MANY_HANDSHAKES,
  ...(segmentSize === undefined ? {} : { segmentSize: Number(segmentSize) }),
};
const server = createCommonroomServer(config);
await server.start();
