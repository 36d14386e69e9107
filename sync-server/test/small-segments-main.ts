import { parseConfig } from '../src/config.ts';
import { createCommonroomServer } from '../src/server.ts';
import { MANY_HANDSHAKES, MANY_MESSAGES } from './harness.ts';

/**
 * The real server for kill -9 tests (server-process.ts), with conversation segments of
 * `TEST_SEGMENT_SIZE` messages so that rollovers happen within a test, and the message and handshake
 * allowances lifted. Stopped only by SIGKILL.
 */
const config = parseConfig(process.env);
// Writers reconnect after every kill and send faster than a person: the allowances have their own tests.
config.limits = {
  ...config.limits,
  ...MANY_MESSAGES,
  ...MANY_HANDSHAKES,
  segmentSize: Number(process.env.TEST_SEGMENT_SIZE ?? '25'),
};
const server = createCommonroomServer(config);
await server.start();
