/**
 * skopeo (containers/skopeo, /usr/bin/skopeo) as an end-to-end client of registries on
 * 127.0.0.1 over plain HTTP, plus the `dir:` image layout it reads and writes.
 *
 * Copies always pass `--preserve-digests`: skopeo then refuses to recompress or convert
 * anything, so a digest that changes on the way is a registry bug, not a client choice.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SKOPEO = '/usr/bin/skopeo';

export class SkopeoError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | string | undefined,
    readonly stderr: string,
  ) {
    super(`skopeo ${args.join(' ')} failed (${exitCode}):\n${stderr}`);
    this.name = 'SkopeoError';
  }
}

/** Runs skopeo; rejects with a `SkopeoError` carrying its stderr when it exits non-zero. */
export function skopeo(args: string[]): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(SKOPEO, args, { encoding: 'buffer', maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) reject(new SkopeoError(args, (err as { code?: number | string }).code, stderr.toString()));
      else resolve({ stdout, stderr: stderr.toString() });
    });
  });
}

/** `docker://<host:port>/<reference>` for a registry at `base` (an http:// URL). */
export const dockerRef = (base: string, reference: string): string => `docker://${new URL(base).host}/${reference}`;

/** `skopeo copy --preserve-digests`; `all` copies every image of an index (`--all`). */
export async function copy(source: string, destination: string, options: { all?: boolean } = {}): Promise<void> {
  await skopeo([
    'copy',
    '--preserve-digests',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    ...(options.all ? ['--all'] : []),
    source,
    destination,
  ]);
}

/** The manifest bytes exactly as the registry serves them (`skopeo inspect --raw`). */
export async function inspectRaw(reference: string): Promise<Buffer> {
  return (await skopeo(['inspect', '--raw', '--tls-verify=false', reference])).stdout;
}

export async function listTags(repository: string): Promise<string[]> {
  const { stdout } = await skopeo(['list-tags', '--tls-verify=false', repository]);
  return (JSON.parse(stdout.toString()) as { Tags: string[] }).Tags;
}

/** `skopeo delete`: resolves a tag to its digest and deletes the manifest by digest. */
export async function deleteImage(reference: string): Promise<void> {
  await skopeo(['delete', '--tls-verify=false', reference]);
}

/**
 * Writes a `dir:` layout: `version`, `manifest.json`, and each blob under its hex digest. Unlike
 * skopeo 1.9's `oci:` transport it holds Docker schema 2 images as they are.
 */
export async function writeDirLayout(
  dir: string,
  manifest: Uint8Array,
  blobs: Array<{ digest: string; bytes: Uint8Array }>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
  await writeFile(join(dir, 'manifest.json'), manifest);
  for (const blob of blobs) await writeFile(join(dir, blob.digest.slice('sha256:'.length)), blob.bytes);
}
