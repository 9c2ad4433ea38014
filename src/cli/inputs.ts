// Reading the files a command is given (results files, specs): a missing file, a folder or
// an unreadable place is one line naming the path and the flag or argument it came from.
import { readFile } from 'node:fs/promises';
import { describeFsError } from './outputs.js';

/** An input path that cannot be read as a file. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The text of `path`; `label` says where the path came from (`--spec`, `results file`). */
export async function readInputText(path: string, label: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a folder; give a file' : describeFsError(e);
    throw new InputError(path, `${label} ${path}: ${why}`, { cause: e });
  }
}
