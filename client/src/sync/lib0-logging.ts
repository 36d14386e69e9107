/**
 * What the app's build gives Yjs for `lib0/logging` (client/vite.config.ts aliases it here). Yjs prints a
 * few warnings through it (a client id changed, a type read before it joined a document); lib0's own module
 * brings its DOM console and, through it, lib0's schema library: about 3 KB gzip of the first screen for
 * those lines. Here they go to the browser's console, plain. The server and tests use lib0's own.
 */
export const BOLD = Symbol('bold');
export const UNBOLD = Symbol('unbold');
export const RED = Symbol('red');
export const ORANGE = Symbol('orange');
export const GREY = Symbol('grey');
export const GREEN = Symbol('green');
export const BLUE = Symbol('blue');
export const PURPLE = Symbol('purple');
export const UNCOLOR = Symbol('uncolor');

const plain = (args: unknown[]): unknown[] => args.filter((a) => typeof a !== 'symbol');
export const print = (...args: unknown[]): void => console.log(...plain(args));
export const warn = (...args: unknown[]): void => console.warn(...plain(args));
