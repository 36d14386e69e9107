/**
 * What yjs takes from `lib0/logging` (print, warn and four style marks), for the app's build only
 * (vite.config.ts aliases it). The real module brings lib0's DOM and schema helpers with it, about 2 KB
 * gzip of the first screen for a few console lines: here the lines are printed without their colours.
 */
export const BOLD = Symbol('bold');
export const UNBOLD = Symbol('unbold');
export const RED = Symbol('red');
export const ORANGE = Symbol('orange');

const plain = (args: unknown[]): unknown[] => args.filter((a) => typeof a !== 'symbol');
export const print = (...args: unknown[]): void => console.log(...plain(args));
export const warn = (...args: unknown[]): void => console.warn(...plain(args));
