import { parseConfig } from '../src/config.ts';
import { createCommonroomServer } from '../src/server.ts';

/**
 * The real server for kill -9 tests (server-process.ts), with conversation segments of
 * `TEST_SEGMENT_SIZE` messages so that rollovers happen within a test. Stopped only by SIGKILL.
 */
const config = parseConfig(process.env);
config.limits = { ...config.limits, segmentSize: Number(process.env.TEST_SEGMENT_SIZE ?? '25') };
const server = createCommonroomServer(config);
await server.start();
