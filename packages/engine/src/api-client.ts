import { ApiError as ApiErrorBody } from '@commonroom/protocol';
import type * as z from 'zod/mini';

/** An HTTP API failure, with the server's code and its sentence for people. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request never reached the server (offline, DNS, refused). */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

export type ApiClientOptions = {
  baseUrl: string;
  fetch: typeof fetch;
  /**
   * Outside a browser there is no cookie jar: the engine keeps the session cookie itself and sends it. In
   * a browser the cookie is HttpOnly and the browser sends it; leave this unset.
   */
  manualCookies: boolean;
  /** Hears every failure the server answered (status and its code): the session-end watch reads 401s. */
  onFailure?: (status: number, code: string) => void;
  /** How long a GET may take, body included, before it fails as a network error (20 s). */
  getTimeoutMs?: number;
};

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(opts: ApiClientOptions) {
  let cookie: string | null = null;
  const GET_TIMEOUT_MS = opts.getTimeoutMs ?? 20_000;
  // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
  const fetchFn = opts.fetch;
  const send = async (
    method: string,
    path: string,
    body: unknown,
    contentType: string,
    extra: Record<string, string> = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = { 'content-type': contentType, ...extra };
    if (opts.manualCookies && cookie) headers.cookie = cookie;
    let res: Response;
    try {
      res = await fetchFn(`${opts.baseUrl}${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        // A read on a network that stopped carrying (a phone between masts) can hang for minutes; the engine
        // runs conversation refreshes one at a time, so one hung read would hold up the rest. Reads are safe
        // to give up on and repeat; writes are not timed out here (their outcome would be unknown).
        ...(method === 'GET' ? { signal: AbortSignal.timeout(GET_TIMEOUT_MS) } : {}),
        ...(body === undefined
          ? method === 'GET'
            ? {}
            : { body: '{}' }
          : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    } catch (e) {
      throw new NetworkError(e instanceof Error ? e.message : 'network error');
    }
    if (opts.manualCookies) {
      for (const c of res.headers.getSetCookie?.() ?? []) {
        const pair = c.split(';')[0] ?? '';
        if (pair.startsWith('cr_session=')) cookie = pair.length > 'cr_session='.length ? pair : null;
      }
    }
    return res;
  };
  const read = async <S extends z.ZodMiniType>(res: Response, schema: S): Promise<z.infer<S>> => {
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      // The body stopped arriving (the connection dropped, or a read timed out): nothing was answered.
      throw new NetworkError(e instanceof Error ? e.message : 'network error');
    }
    let json: unknown = null;
    try {
      json = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const err = ApiErrorBody.safeParse(json);
      const code = err.success ? err.data.error : 'http-error';
      opts.onFailure?.(res.status, code);
      throw new ApiError(
        res.status,
        code,
        err.success ? err.data.message : `The server answered ${res.status}.`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new ApiError(
        res.status,
        'bad-response',
        'The server sent an answer this app does not understand.',
      );
    return parsed.data;
  };
  const request = async <S extends z.ZodMiniType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<z.infer<S>> => read(await send(method, path, body, contentType), schema);
  /**
   * A GET that names the version this device holds (`If-None-Match`): a 304 answers `unchanged` with no
   * body to download or parse. Otherwise the new body and its version (null when the server gives none).
   */
  const getIfChanged = async <S extends z.ZodMiniType>(
    path: string,
    schema: S,
    etag: string | null,
  ): Promise<{ unchanged: true } | { unchanged: false; data: z.infer<S>; etag: string | null }> => {
    const res = await send('GET', path, undefined, 'application/json', etag ? { 'if-none-match': etag } : {});
    if (res.status === 304 && etag) {
      await res.body?.cancel();
      return { unchanged: true };
    }
    const data = await read(res, schema);
    return { unchanged: false, data, etag: res.headers.get('etag') };
  };
  return {
    request,
    getIfChanged,
    cookie: (): string | null => cookie,
    setCookie: (c: string | null): void => {
      cookie = c;
    },
  };
}
