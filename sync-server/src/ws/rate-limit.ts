/** A token bucket: `rate` tokens a second, holding at most `burst`. */
export function createTokenBucket(rate: number, burst: number, now: () => number) {
  let tokens = burst;
  let last = now();
  return {
    take(n = 1): boolean {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate);
      last = t;
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
  };
}
