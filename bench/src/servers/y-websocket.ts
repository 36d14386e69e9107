import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RunningServer } from './types.ts';

// y-websocket 1.5's server is CommonJS (bin/utils.js); required, not imported, so this process loads one
// build of yjs (the CommonJS one) for the server and nothing else.
const require = createRequire(import.meta.url);
const { setupWSConnection } = require('y-websocket/bin/utils') as {
  setupWSConnection: (
    conn: WebSocket,
    req: IncomingMessage,
    opts?: { docName?: string; gc?: boolean },
  ) => void;
};

/**
 * The y-websocket 1.5 reference server, set up as its bin/server.js does: one document per URL path, in
 * memory only (no YPERSISTENCE), each update applied and broadcast to every connection of the document,
 * the sender included. `deflate`: permessage-deflate with ws's own defaults (`perMessageDeflate: true`:
 * context takeover, zlib's default level and window, messages under 1 KiB sent plain only without context
 * takeover), what turning it on in bin/server.js gives; off is how bin/server.js ships.
 */
export async function startYWebsocket(port: number, deflate: boolean): Promise<RunningServer> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: deflate });
  const http = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('okay');
  });
  wss.on('connection', (conn: WebSocket, req: IncomingMessage) => setupWSConnection(conn, req));
  http.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', () => resolve()));
  return {
    port,
    stop: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
    info: () => ({}),
  };
}
