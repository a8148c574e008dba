/**
 * @module The `gc` job: garbage collection (main/registry/gc.ts) as a job, with progress per
 * candidate blob and cancellation between blobs. Params: `dryRun` (default false) and `graceMs`
 * (blobs linked more recently are kept; default the config's `storage.gcGracePeriod`).
 */
import { z } from 'zod';
import type { Logger } from '../../../src/log/logger.js';
import type { BlobStore } from '../../../src/store/blob-store.js';
import type { RegistryMetadata } from '../../metadata/registry.js';
import { collectGarbage } from '../../registry/gc.js';
import type { JobKind } from '../types.js';
import { parseParamsWith } from './params.js';

const MAX_GRACE_MS = 30 * 24 * 3600_000;

export function gcJobKind(deps: {
  metadata: RegistryMetadata;
  store: BlobStore;
  now: () => number;
  defaultGraceMs: number;
  logger: Logger;
}): JobKind {
  const schema = z
    .object({
      dryRun: z.boolean().default(false),
      graceMs: z.number().int().min(0).max(MAX_GRACE_MS).default(deps.defaultGraceMs),
    })
    .strict();
  return {
    kind: 'gc',
    adminMayStart: true,
    parseParams: (input) => parseParamsWith(schema, input),
    async run(context) {
      const { dryRun, graceMs } = schema.parse(context.params);
      context.log(`${dryRun ? 'dry run: ' : ''}collecting blobs unreferenced and unlinked for ${graceMs} ms`);
      const result = await collectGarbage({
        ...deps,
        graceMs,
        dryRun,
        signal: context.signal,
        onProgress: (done, total, bytes) => context.progress(done, total, `${bytes} bytes freed`),
      });
      context.log(
        `scanned ${result.scanned} blobs, ${dryRun ? 'would remove' : 'removed'} ${result.removed} ` +
          `(${result.removedBytes} bytes)`,
      );
      return { ...result, dryRun };
    },
  };
}
