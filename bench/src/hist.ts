import * as hdr from 'hdr-histogram-js';

/**
 * Latencies in microseconds, 1 µs to 120 s, 3 significant digits (HdrHistogram): every delivery is
 * recorded, percentiles are read from the recorded values, nothing is averaged. Histograms travel between
 * processes as HdrHistogram's compressed base64 and are added up in the parent.
 */
export type Histogram = hdr.Histogram;

export const newHistogram = (): Histogram =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });

export const encodeHistogram = (h: Histogram): string => hdr.encodeIntoCompressedBase64(h);

export function mergeHistograms(encoded: string[]): Histogram {
  const total = newHistogram();
  for (const e of encoded) {
    const h = hdr.decodeFromCompressedBase64(e);
    total.add(h);
    h.destroy();
  }
  return total;
}

export type Percentiles = { count: number; p50: number; p95: number; p99: number; max: number };

/** Milliseconds, three decimals. */
export function percentiles(h: Histogram): Percentiles {
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
  };
}
