/**
 * Runs a synchronous store call and gives its result as a Promise, a throw as a rejection (never a throw
 * from the caller's `await` site before it awaits): how the SQLite stores sit behind the async interfaces.
 */
export function liftSync<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
