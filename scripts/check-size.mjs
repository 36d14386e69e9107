#!/usr/bin/env node
// @ts-check
// The size rule of issue 19, as a standing check: no source file in packages/ or sync-server/src over 400
// lines, no function over 80.
//
// What counts (our reading of the issue):
//   - A line counts when it holds code: blank lines and comment-only lines do not (a line inside a
//     multi-line string or template does).
//   - A file's size is its counted lines.
//   - A function's size is its OWN counted lines: the lines from its first to its last, minus the lines
//     of the functions nested in it. The line a nested function starts on stays with the enclosing one
//     (it holds the enclosing code: `const x = (`, `return {`, `list.map(`).
//   - So a factory closure (`createX(deps) { state…; return { methods } }`) is a module, the closure
//     equivalent of a class: its methods are the functions that are measured, and the factory itself is
//     measured by the wiring it does between them.
// Usage: node scripts/check-size.mjs [file or directory…] (default: packages/*/src and sync-server/src).
// Tests (*.test.ts, test/ folders) and declaration files (.d.ts) are not measured.
// Exit 0 with one OK line, or exit 1 with one line per offender: file:line name own-lines (2: a path
// given does not exist).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const FILE_LIMIT = 400;
const FUNCTION_LIMIT = 80;
const root = join(import.meta.dirname, '..');
const K = ts.SyntaxKind;
const FUNCTION_KINDS = new Set([
  K.FunctionDeclaration,
  K.FunctionExpression,
  K.ArrowFunction,
  K.MethodDeclaration,
  K.Constructor,
  K.GetAccessor,
  K.SetAccessor,
]);

/** @param {ts.Node} node @returns {node is ts.FunctionLikeDeclaration} a function with a body */
const isFunction = (node) => FUNCTION_KINDS.has(node.kind) && /** @type {any} */ (node).body !== undefined;

/** @param {string} path */
const isMeasured = (path) =>
  path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.endsWith('.test.ts') && !/(^|\/)test\//.test(path);

/** Every measured file under the given files and directories. @param {string[]} targets */
const listFiles = (targets) =>
  targets.flatMap((target) => {
    if (!statSync(target).isDirectory()) return [target];
    const below = readdirSync(target, { recursive: true, encoding: 'utf8' }).sort();
    return below.map((p) => join(target, p)).filter((p) => !p.includes('node_modules') && isMeasured(p));
  });

/** The 0-based numbers of the lines that hold code: every line some token spans. @param {ts.SourceFile} sf */
const codeLines = (sf) => {
  /** @type {Set<number>} */
  const lines = new Set();
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isJSDoc(node)) return; // getChildren() lists JSDoc comments as children; they are comments
    const children = node.getChildren(sf);
    if (children.length === 0 && node.kind !== K.EndOfFileToken) {
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      for (let l = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line; l <= last; l++) lines.add(l);
    }
    children.forEach(visit);
  };
  visit(sf);
  return lines;
};

/** A readable name: its own, the variable or property it is assigned to, or the call it is passed to. */
const nameOf = (/** @type {ts.FunctionLikeDeclaration} */ fn, /** @type {ts.SourceFile} */ sf) => {
  const named = fn.name ?? /** @type {{ name?: ts.Node }} */ (fn.parent).name;
  if (named) return named.getText(sf);
  if (ts.isCallExpression(fn.parent)) return `(callback to ${fn.parent.expression.getText(sf)})`;
  return '(anonymous function)';
};

/** Each function's own counted lines (see the header). @param {ts.SourceFile} sf @param {Set<number>} code */
const functionSizes = (sf, code) => {
  const lineOf = (/** @type {number} */ pos) => sf.getLineAndCharacterOfPosition(pos).line;
  /** @type {{ fn: ts.FunctionLikeDeclaration; line: number; own: number }[]} */
  const sizes = [];
  /** @param {ts.FunctionLikeDeclaration} fn */
  const measure = (fn) => {
    const first = lineOf(fn.getStart(sf));
    /** @type {Set<number>} lines of nested functions, their first lines excepted */
    const nested = new Set();
    /** @param {ts.Node} node */
    const findNested = (node) => {
      if (!isFunction(node)) {
        node.forEachChild(findNested);
        return;
      }
      for (let l = lineOf(node.getStart(sf)) + 1; l <= lineOf(node.getEnd()); l++) nested.add(l);
      measure(node);
    };
    fn.forEachChild(findNested);
    let own = 0;
    for (let l = first; l <= lineOf(fn.getEnd()); l++) if (code.has(l) && !nested.has(l)) own++;
    sizes.push({ fn, line: first + 1, own });
  };
  /** @param {ts.Node} node */
  const findTop = (node) => {
    if (isFunction(node)) measure(node);
    else node.forEachChild(findTop);
  };
  findTop(sf);
  return sizes;
};

/** The offences in one file's text, as report lines. @param {string} path @param {string} text */
const offences = (path, text) => {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const code = codeLines(sf);
  const found = [];
  if (code.size > FILE_LIMIT) found.push(`${path}:1 (whole file) ${code.size} lines (limit ${FILE_LIMIT})`);
  for (const { fn, line, own } of functionSizes(sf, code))
    if (own > FUNCTION_LIMIT)
      found.push(`${path}:${line} ${nameOf(fn, sf)} ${own} own lines (limit ${FUNCTION_LIMIT})`);
  return found;
};

const defaultTargets = () => [
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src')),
  join(root, 'sync-server', 'src'),
];

const args = process.argv.slice(2);
const missing = args.filter((a) => !statSync(a, { throwIfNoEntry: false }));
if (missing.length > 0) {
  console.error(`size: no such file or directory: ${missing.join(', ')}`);
  process.exit(2);
}
const files = listFiles(
  args.length > 0 ? args : defaultTargets().filter((d) => statSync(d, { throwIfNoEntry: false })),
);
const report = files.flatMap((f) => offences(relative(process.cwd(), f), readFileSync(f, 'utf8')));
if (report.length > 0) {
  console.error(report.join('\n'));
  console.error(
    `size: ${report.length} over the limit (files ${FILE_LIMIT} lines, functions ${FUNCTION_LIMIT})`,
  );
  process.exit(1);
}
console.log(
  `size: OK (${files.length} ${files.length === 1 ? 'file' : 'files'}: none over ${FILE_LIMIT} lines, no function over ${FUNCTION_LIMIT})`,
);
