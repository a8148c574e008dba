/** Small helpers shared by the blob store contract suites (test/contract/blob-store*.ts). */
import type { Readable } from 'node:stream';
import type { BlobStore } from '../../src/store/blob-store.js';

export async function* chunks(...parts: Array<Uint8Array | string>): AsyncIterable<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : part;
}

export async function* failingAfter(first: Uint8Array, error: Error): AsyncIterable<Uint8Array> {
  yield first;
  throw error;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

export async function listAll(store: BlobStore): Promise<string[]> {
  const digests: string[] = [];
  for await (const digest of store.list()) digests.push(digest);
  return digests.sort();
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, the promise resolved');
}
