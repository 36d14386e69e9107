import { ConfigError, parseConfig } from './config.ts';
import { createCommonroomServer } from './server.ts';

/** The only file with side effects: read the environment, start, and stop cleanly on SIGTERM/SIGINT. */
let config;
try {
  config = parseConfig(process.env);
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  throw e;
}

const server = createCommonroomServer(config);
for (const w of config.warnings) server.log.warn(w);
const { url } = await server.start();
process.stdout.write(`Commonroom is running at ${config.publicUrl} (listening on ${url})\n`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  server.log.info({ signal }, 'shutting down');
  server
    .stop()
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      server.log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
