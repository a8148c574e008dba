/**
 * @module `outpost main scan REPO:TAG`: queues a scan of each platform of a tag's image, on the
 * data directory (or the database), while main runs or before it starts. The command only adds
 * records to the scan queue; main's workers run them (within its poll interval, main/scans/), and
 * `GET /api/v0/imagescan/repositories/...` shows the results.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isRepoName, isTag, type RepoName, type Tag } from '../../src/oci/reference.js';
import { openMainData, type MainStorageConfig } from '../main-data.js';
import { queueScansOf } from '../scans/image-scans.js';
import { EXIT, type CliIo } from './cli-io.js';

export interface ScanCommand {
  /** The positionals after `scan`: exactly one REPO:TAG. */
  args: string[];
  storage: MainStorageConfig;
}

/** `REPO:TAG` split at its last colon (a repository name has none); undefined when malformed. */
export function parseImageReference(value: string): { repo: RepoName; tag: Tag } | undefined {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const repo = value.slice(0, colon);
  const tag = value.slice(colon + 1);
  return isRepoName(repo) && isTag(tag) ? { repo, tag } : undefined;
}

export async function runScanCommand(command: ScanCommand, io: CliIo): Promise<number> {
  const [reference, ...extra] = command.args;
  const parsed = reference === undefined || extra.length > 0 ? undefined : parseImageReference(reference);
  if (parsed === undefined) {
    io.err('outpost main scan: expected one REPO:TAG, such as outpost main scan acme/app:1.0\n');
    return EXIT.USAGE;
  }
  const dataDir = resolve(command.storage.dataDir);
  if (command.storage.database === undefined && !existsSync(dataDir)) {
    io.err(`outpost main scan: data directory ${dataDir} does not exist (pass --data, or start main once)\n`);
    return EXIT.FAILED;
  }
  const data = await openMainData(command.storage);
  try {
    const registry = data.metadata.registry;
    const digest = await registry.resolve(parsed.repo, { kind: 'tag', tag: parsed.tag });
    if (digest === undefined) {
      io.err(`outpost main scan: ${parsed.repo}:${parsed.tag} does not exist\n`);
      return EXIT.FAILED;
    }
    const scans = data.metadata.scans;
    const queued = await queueScansOf(
      { registry, enqueue: (r) => scans.enqueue(r) },
      parsed.repo,
      digest,
      'request',
      Date.now(),
    );
    if (queued.length === 0) {
      io.err(`outpost main scan: ${parsed.repo}:${parsed.tag} is an artifact, not an image\n`);
      return EXIT.FAILED;
    }
    for (const p of queued) {
      io.out(`${p.outcome === 'queued' ? 'queued' : 'already queued'} ${p.platform} ${p.digest}\n`);
    }
    return EXIT.OK;
  } finally {
    await data.close();
  }
}
