// What a user sees when a command fails: one line, no class names, no raw errno text, no
// stack trace. Every error lbgap throws on purpose carries a message written for people;
// a Node file-system error is put in plain words; anything else is an internal error, whose
// stack is shown only with LBGAP_DEBUG=1.
import { describeFsError } from './outputs.js';

/** Node's errno message, e.g. "ENOENT: no such file or directory, open 'x'". */
const ERRNO_TEXT = /\b(E[A-Z]+): [^,]+, (\w+) '([^']*)'(?: -> '[^']*')?/g;

/** The same without a path, e.g. "EISDIR: illegal operation on a directory, read". */
const ERRNO_TEXT_NO_PATH = /\b(E[A-Z]+): [^,]+, \w+\b(?! ')/g;

/** Replaces embedded raw errno texts by plain words (the path is kept). */
export function plainErrno(message: string): string {
  return message.replace(ERRNO_TEXT, (_m, code: string, _syscall: string, path: string) => {
    const why = describeFsError({ code });
    return message.includes(path) && message.indexOf(path) < message.indexOf(code) ? why : `${path}: ${why}`;
  }).replace(ERRNO_TEXT_NO_PATH, (_m, code: string) => describeFsError({ code }));
}

/** Errors of lbgap's own layers: their message is the whole story. */
const OWN = /Error$/;

/** The one-line message for `e`, and whether it is an internal error (a bug, not bad input). */
export function userMessage(e: unknown): { message: string; internal: boolean } {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.message === 'string') {
    if (err.code && err.syscall) {
      const path = err.path ? `${err.path}: ` : '';
      return { message: `${path}${describeFsError(err)}`, internal: false };
    }
    const builtIn = err.constructor === Error || err.constructor === TypeError || err.constructor === RangeError ||
      err.constructor === SyntaxError || err.constructor === ReferenceError;
    const message = plainErrno(err.message.split('\n')[0]);
    if (!builtIn && OWN.test(err.name ?? '')) return { message, internal: false };
    return { message: `internal error: ${message}`, internal: true };
  }
  return { message: `internal error: ${String(e)}`, internal: true };
}
