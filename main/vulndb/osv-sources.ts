/**
 * @module Where OSV records are read from, one JSON text at a time: a zip as OSV publishes them per
 * ecosystem (`<Ecosystem>/all.zip`, one record per entry), a directory of *.json files (recursively),
 * or one .json file. Entries are read one by one and never more than `maxEntryBytes` of one at a time,
 * so a zip of any size (or a zip bomb) is read in bounded memory. Knows nothing of what the records say.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export interface SourceEntry {
  /** The entry's name in the zip, or the file's path relative to the directory given. */
  name: string;
  text: string;
}

export type VulnDbSourceProblem = 'not-found' | 'not-a-source' | 'not-osv' | 'too-large' | 'unreadable';

/** The input cannot be imported; `message` is for the operator and names the file or entry. */
export class VulnDbSourceError extends Error {
  readonly code = 'OUTPOST_VULNDB_SOURCE';
  constructor(
    readonly problem: VulnDbSourceProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VulnDbSourceError';
  }
}

const tooLarge = (name: string, size: number, max: number): VulnDbSourceError =>
  new VulnDbSourceError('too-large', `${name} is ${size} bytes, more than the ${max} bytes an OSV record may have`);

async function readBounded(stream: Readable, name: string, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      stream.destroy();
      throw tooLarge(name, size, max);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function* zipEntries(path: string, maxEntryBytes: number): AsyncGenerator<SourceEntry> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, file) =>
        err ? reject(err) : resolve(file),
      ),
    );
  } catch (err) {
    throw new VulnDbSourceError('unreadable', `${path} is not a readable zip file: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry) => done(() => resolve(e));
        const onEnd = () => done(() => resolve(undefined));
        const onError = (err: Error) => done(() => reject(err));
        const done = (settle: () => void) => {
          zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
          settle();
        };
        zip.once('entry', onEntry).once('end', onEnd).once('error', onError);
        zip.readEntry();
      }).catch((err: Error) => {
        throw new VulnDbSourceError('unreadable', `${path}: ${err.message}`, { cause: err });
      });
      if (entry === undefined) return;
      if (entry.fileName.endsWith('/') || !entry.fileName.endsWith('.json')) continue;
      if (entry.uncompressedSize > maxEntryBytes)
        throw tooLarge(`${path}: ${entry.fileName}`, entry.uncompressedSize, maxEntryBytes);
      const stream = await new Promise<Readable>((resolve, reject) =>
        zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
      ).catch((err: Error) => {
        throw new VulnDbSourceError('unreadable', `${path}: ${entry.fileName}: ${err.message}`, { cause: err });
      });
      const text = await readBounded(stream, `${path}: ${entry.fileName}`, maxEntryBytes).catch((err: unknown) => {
        if (err instanceof VulnDbSourceError) throw err;
        throw new VulnDbSourceError('unreadable', `${path}: ${entry.fileName}: ${(err as Error).message}`, {
          cause: err,
        });
      });
      yield { name: entry.fileName, text };
    }
  } finally {
    zip.close();
  }
}

async function readFileEntry(path: string, name: string, maxEntryBytes: number): Promise<SourceEntry> {
  const { size } = await stat(path);
  if (size > maxEntryBytes) throw tooLarge(name, size, maxEntryBytes);
  return { name, text: await readBounded(createReadStream(path), name, maxEntryBytes) };
}

async function* directoryEntries(dir: string, maxEntryBytes: number): AsyncGenerator<SourceEntry> {
  const names = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile() && d.name.endsWith('.json'))
    .map((d) => join(d.parentPath, d.name))
    .sort();
  for (const path of names) yield readFileEntry(path, relative(dir, path), maxEntryBytes);
}

/** The JSON texts of `path`; throws `VulnDbSourceError` (not found, not a zip/dir/.json, too large). */
export async function* readOsvSource(path: string, maxEntryBytes: number): AsyncGenerator<SourceEntry> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    throw new VulnDbSourceError('not-found', `${path}: no such file or directory`, { cause: err });
  }
  if (info.isDirectory()) yield* directoryEntries(path, maxEntryBytes);
  else if (path.endsWith('.zip')) yield* zipEntries(path, maxEntryBytes);
  else if (path.endsWith('.json')) yield await readFileEntry(path, path, maxEntryBytes);
  else
    throw new VulnDbSourceError(
      'not-a-source',
      `${path}: expected an OSV .zip, a directory of .json files, or a .json file`,
    );
}
