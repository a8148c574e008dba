/**
 * @module Reads a password from standard input for `--password-stdin`, never echoing it.
 *
 * From a pipe or file (`echo "$PW" | outpost main user add ...`) the whole input is read and
 * one trailing line break removed, as `docker login --password-stdin` does. From a terminal the
 * echo is switched off (raw mode) and one line is read; Ctrl-C or Ctrl-D abandon it.
 */
import type { Readable } from 'node:stream';

/** Largest input accepted: well above the longest allowed password, bounds a runaway pipe. */
const MAX_INPUT_BYTES = 64 * 1024;

export class PasswordInputError extends Error {
  readonly code = 'OUTPOST_PASSWORD_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'PasswordInputError';
  }
}

/** Everything a readable gives until it ends, minus one trailing `\n` or `\r\n`. */
export async function readPasswordFromStream(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    length += bytes.length;
    if (length > MAX_INPUT_BYTES)
      throw new PasswordInputError(`standard input is longer than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

interface TtyInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** One line typed on the terminal with echo off; `prompt` goes to `promptOut` (stderr). */
function readPasswordFromTerminal(input: TtyInput, prompt: string, promptOut: (s: string) => void): Promise<string> {
  promptOut(prompt);
  input.setRawMode!(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode!(false);
      input.pause();
      promptOut('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new PasswordInputError('password entry abandoned'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
        if (typed.length > MAX_INPUT_BYTES) return finish(new PasswordInputError('password is too long'));
      }
    };
    input.on('data', onData);
  });
}

/** The password on `input`: typed with echo off when it is a terminal, read to the end otherwise. */
export function readPassword(input: TtyInput, promptOut: (s: string) => void): Promise<string> {
  if (input.isTTY && typeof input.setRawMode === 'function')
    return readPasswordFromTerminal(input, 'Password: ', promptOut);
  return readPasswordFromStream(input);
}
