export type ServerKind = 'commonroom' | 'hocuspocus' | 'y-websocket';
export const SERVER_KINDS: readonly ServerKind[] = ['commonroom', 'hocuspocus', 'y-websocket'];

export type RunningServer = {
  port: number;
  stop(): Promise<void>;
  info(): Record<string, unknown>;
};
