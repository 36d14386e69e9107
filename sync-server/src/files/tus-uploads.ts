import { mkdirSync } from 'node:fs';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

/**
 * The resumable-upload protocol (tus 1.0, issue 17) over a folder of partial files, mounted by
 * http/upload-routes.ts through tus's fetch-API handler. The route decides everything about who may upload
 * what before a request reaches here, and names the upload (its id is the attachment's id); tus does the
 * protocol: offsets, resuming after a cut connection, the per-file size as a second fence.
 */
export type TusUploads = {
  /** A creation request the route has admitted, with the id it chose. */
  create: (req: Request, id: string) => Promise<Response>;
  /** A HEAD or PATCH of upload `id`, which the route has checked belongs to the person. */
  handle: (req: Request, id: string) => Promise<Response>;
  /** Removes an upload's partial file and its metadata; nothing there is no error. */
  remove: (id: string) => Promise<void>;
  /** How many of the upload's bytes its partial file holds; null when there is no such upload. */
  offset: (id: string) => Promise<number | null>;
};

export function createTusUploads(d: {
  dir: string;
  /** The origins the app is served from (read live); tus names them, never `*`, in CORS headers. */
  allowedOrigins: readonly string[];
  /** The per-file limit in force, in bytes. */
  maxSize: () => number;
  /** The upload's last byte is in (durably in its partial file). */
  finished: (id: string) => void;
}): TusUploads {
  const ids = new WeakMap<object, string>();
  // Made on the first upload request, its folder made first and synchronously: @tus/file-store makes the
  // folder in its constructor with a callback that THROWS on failure (an uncaught exception that would end
  // the server, seen when a test's data folder was removed just after a server started). Made here, the
  // folder exists and its mkdir cannot fail; made late, a server that never takes an upload never runs it.
  let made: { datastore: FileStore; server: Server } | null = null;
  const tus = (): { datastore: FileStore; server: Server } => (made ??= make());
  const make = (): { datastore: FileStore; server: Server } => {
    mkdirSync(d.dir, { recursive: true, mode: 0o700 });
    const datastore = new FileStore({ directory: d.dir });
    const server = new Server({
      path: '/api/uploads',
      datastore,
      relativeLocation: true,
      respectForwardedHeaders: false,
      allowedOrigins: (origin) => d.allowedOrigins.includes(origin),
      // The upload a HEAD or PATCH acts on is exactly the one the route checked, never one tus would read
      // from the URL itself (its own pattern takes the URL's last segment, query string included, so
      // `/api/uploads/MINE?x=/THEIRS` would write to THEIRS).
      getFileIdFromRequest: (req) => ids.get(req),
      namingFunction: (req) => {
        const id = ids.get(req);
        if (id === undefined) throw new Error('an upload was created without an id from the route');
        return id;
      },
      maxSize: () => d.maxSize(),
      onUploadFinish: async (_req, upload) => {
        d.finished(upload.id);
        return {};
      },
    });
    return { datastore, server };
  };
  return {
    create: (req, id) => {
      ids.set(req, id);
      return tus().server.handleWeb(req);
    },
    handle: (req, id) => {
      ids.set(req, id);
      return tus().server.handleWeb(req);
    },
    remove: async (id) => {
      try {
        await tus().datastore.remove(id);
      } catch {
        // Already gone (finished and removed, or never written): nothing to do.
      }
    },
    offset: async (id) => {
      try {
        return (await tus().datastore.getUpload(id)).offset;
      } catch {
        return null;
      }
    },
  };
}
