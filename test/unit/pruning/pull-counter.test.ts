/**
 * Pull counts per tag (main/pruning/pull-counter.ts) on the real embedded metadata: many pulls
 * become ONE `recordPulls` write per flush (counted by a pass-through wrapper), pulls by digest
 * count for the tags pointing to it, a full batch flushes early, `close` writes the rest, and a
 * failed write is logged and dropped without stopping later flushes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedMetadata } from '../../../main/metadata/lmdb/open.js';
import type { Metadata } from '../../../main/metadata/metadata.js';
import type { TagPullBatchEntry } from '../../../main/metadata/pruning.js';
import { createPullCounter, type PullCounter } from '../../../main/pruning/pull-counter.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { byTag, digest, manifestRecord } from '../../contract/registry-metadata-fixtures.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const repo = 'team/app' as RepoName;
// Longer than any test: only explicit flushes, a full batch and close() write.
const HOUR_MS = 3_600_000;

describe('pull counter', () => {
  let temp: TempDir;
  let metadata: Metadata;
  let writes: TagPullBatchEntry[][];
  let warnings: string[];
  let failNext: boolean;
  let clock: number;
  let counter: PullCounter;

  function start(maxPending?: number): PullCounter {
    counter = createPullCounter({
      recordPulls: async (batch) => {
        writes.push([...batch]);
        if (failNext) {
          failNext = false;
          throw new Error('disk on fire');
        }
        await metadata.pruning.recordPulls(batch);
      },
      listTags: (name) => metadata.registry.listTags(name, { limit: 1000 }),
      now: () => clock,
      logger: { warn: (message) => void warnings.push(message) },
      intervalMs: HOUR_MS,
      ...(maxPending !== undefined && { maxPending }),
    });
    return counter;
  }

  async function push(tag: string, content: string) {
    const blob = digest(`layer of ${content}`);
    await metadata.registry.linkBlob(repo, blob, 10, 1);
    const manifest = digest(content);
    await metadata.registry.putManifest({ repo, digest: manifest, record: manifestRecord([blob], 1), tag, actor: 'a' });
    return manifest;
  }

  beforeEach(async () => {
    temp = await createTempDir('outpost-pulls-');
    metadata = openEmbeddedMetadata(temp.path);
    writes = [];
    warnings = [];
    failNext = false;
    clock = 1000;
  });
  afterEach(async () => {
    await counter?.close();
    await metadata.close();
    await temp.remove();
  });

  const pulls = async () => Object.fromEntries(await metadata.pruning.listPulls(repo));

  it('writes a thousand pulls of three tags in one batch per flush', async () => {
    await push('v1', 'one');
    await push('v2', 'two');
    await push('v3', 'three');
    start();
    for (let i = 0; i < 1000; i++) {
      clock = 1000 + i;
      counter.record(repo, byTag(['v1', 'v2', 'v3'][i % 3]!));
    }
    expect(writes).toHaveLength(0);
    await counter.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(3);
    expect(await pulls()).toEqual({
      v1: { pullCount: 334, lastPulledAt: 1999 },
      v2: { pullCount: 333, lastPulledAt: 1997 },
      v3: { pullCount: 333, lastPulledAt: 1998 },
    });
    await counter.flush();
    expect(writes).toHaveLength(1);
    counter.record(repo, byTag('v1'));
    await counter.flush();
    expect(writes).toHaveLength(2);
    expect((await pulls()).v1).toEqual({ pullCount: 335, lastPulledAt: 1999 });
  });

  it('counts a pull by digest for every tag pointing to that digest when it flushes', async () => {
    const one = await push('v1', 'one');
    await push('latest', 'one');
    await push('v2', 'two');
    start();
    counter.record(repo, { kind: 'digest', digest: one });
    counter.record(repo, { kind: 'digest', digest: one });
    counter.record(repo, { kind: 'digest', digest: digest('an index child, untagged') });
    counter.record(repo, byTag('v1'));
    await counter.flush();
    expect(writes).toHaveLength(1);
    expect(await pulls()).toEqual({
      v1: { pullCount: 3, lastPulledAt: 1000 },
      latest: { pullCount: 2, lastPulledAt: 1000 },
    });
  });

  it('flushes early when the batch is full, and writes the rest at close', async () => {
    for (let k = 1; k <= 5; k++) await push(`v${k}`, `content ${k}`);
    start(3);
    for (let k = 1; k <= 5; k++) counter.record(repo, byTag(`v${k}`));
    await counter.flush();
    await counter.close();
    expect(writes.map((batch) => batch.length)).toEqual([3, 2]);
    expect(Object.keys(await pulls()).sort()).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
  });

  it('logs and drops a batch it could not write, and writes the next one', async () => {
    await push('v1', 'one');
    start();
    failNext = true;
    counter.record(repo, byTag('v1'));
    await counter.flush();
    expect(warnings).toEqual(['dropped a batch of pull counts']);
    counter.record(repo, byTag('v1'));
    await counter.flush();
    expect(await pulls()).toEqual({ v1: { pullCount: 1, lastPulledAt: 1000 } });
  });

  it('keeps at most two batches waiting on slow metadata and drops the next one', async () => {
    await push('v1', 'one');
    let release = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    counter = createPullCounter({
      recordPulls: async (batch) => {
        writes.push([...batch]);
        await slow;
        await metadata.pruning.recordPulls(batch);
      },
      listTags: (name) => metadata.registry.listTags(name, { limit: 1000 }),
      now: () => clock,
      logger: { warn: (message) => void warnings.push(message) },
      intervalMs: HOUR_MS,
    });
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      counter.record(repo, byTag('v1'));
      flushes.push(counter.flush());
    }
    expect(warnings).toEqual(['dropped a batch of pull counts']);
    release();
    await Promise.all(flushes);
    expect(writes).toHaveLength(2);
    expect(await pulls()).toEqual({ v1: { pullCount: 2, lastPulledAt: 1000 } });
  });
});
