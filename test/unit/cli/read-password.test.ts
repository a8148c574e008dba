import { describe, expect, it } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { readPassword, readPasswordFromStream } from '../../../src/cli/read-password.js';

describe('readPasswordFromStream (piped --password-stdin)', () => {
  it.each([
    ['s3cret-pass\n', 's3cret-pass'],
    ['s3cret-pass\r\n', 's3cret-pass'],
    ['s3cret-pass', 's3cret-pass'],
    ['s3cret-pass\n\n', 's3cret-pass\n'],
    ['  spaces kept  \n', '  spaces kept  '],
    ['pässwörd\n', 'pässwörd'],
    ['', ''],
  ])('reads %j as %j (one trailing line break removed, as docker login does)', async (input, expected) => {
    expect(await readPasswordFromStream(Readable.from([Buffer.from(input)]))).toBe(expected);
  });

  it('joins chunks, also a multi-byte character split across two', async () => {
    const bytes = Buffer.from('päss-word\n');
    expect(await readPasswordFromStream(Readable.from([bytes.subarray(0, 2), bytes.subarray(2)]))).toBe('päss-word');
  });

  it('refuses endless input', async () => {
    const big = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(1024, 97);
      })(),
    );
    await expect(readPasswordFromStream(big)).rejects.toMatchObject({ code: 'OUTPOST_PASSWORD_INPUT' });
  });
});

describe('readPassword from a terminal', () => {
  function terminal() {
    const input = new PassThrough() as PassThrough & {
      isTTY: boolean;
      setRawMode(mode: boolean): void;
      modes: boolean[];
    };
    input.isTTY = true;
    input.modes = [];
    input.setRawMode = (mode: boolean) => void input.modes.push(mode);
    return input;
  }

  it('switches echo off, reads one line, prompts on the given stream, and restores the terminal', async () => {
    const input = terminal();
    const prompts: string[] = [];
    const pending = readPassword(input, (s) => void prompts.push(s));
    input.write('secret-pw\r');
    expect(await pending).toBe('secret-pw');
    expect(input.modes).toEqual([true, false]);
    expect(prompts.join('')).toBe('Password: \n');
  });

  it('handles backspace', async () => {
    const input = terminal();
    const pending = readPassword(input, () => {});
    input.write('secret-pwx\u007f\n');
    expect(await pending).toBe('secret-pw');
  });

  it('gives up on Ctrl-C, restoring the terminal', async () => {
    const input = terminal();
    const pending = readPassword(input, () => {});
    input.write('sec\u0003');
    await expect(pending).rejects.toMatchObject({ code: 'OUTPOST_PASSWORD_INPUT' });
    expect(input.modes).toEqual([true, false]);
  });
});
