/**
 * @module One scan, as a worker of the queue runs it: the inventory (read from the layers in the
 * blob store, one at a time, each as a stream, by main/scan/scan-image.ts; or, for a rescan after a
 * new vulnerability database, the inventory stored with the previous result, without reading a
 * layer), then the findings of `VulnerabilityDatabase.match`.
 *
 * A failure of the image itself (a layer gone from the store, a corrupt or non-layer blob) ends as
 * a `failed` outcome whose message names the layer and never a path or a secret; an abort (main
 * stopping) rejects with the abort reason, so the queue leaves the scan for the next start. Any
 * other error is also a `failed` outcome, with a generic message; the queue logs the error itself.
 */
import type { Readable } from 'node:stream';
import type { BlobStore } from '../../src/store/blob-store.js';
import { BlobNotFoundError } from '../../src/store/errors.js';
import { parseDigest } from '../../src/oci/digest.js';
import { LayerFormatError } from '../scan/layer-decompress.js';
import { scanImage, type LayerSource, type ScanOptions } from '../scan/scan-image.js';
import type { Inventory } from '../scan/types.js';
import type { VulnerabilityDatabase } from '../vulndb/types.js';
import type { ClaimedScan, ScanOutcome } from '../metadata/scans.js';

export interface RunScanDeps {
  blobs: Pick<BlobStore, 'open'>;
  vulndb: VulnerabilityDatabase;
  now: () => number;
  scanOptions?: ScanOptions;
  /** Told about errors that are not the image's fault (the message users see is generic). */
  onUnexpected?: (error: unknown) => void;
}

// Layer failures keep the message short: a corrupt gzip's zlib message is enough, a stack is not.
const MAX_MESSAGE = 300;

export async function runScan(claimed: ClaimedScan, deps: RunScanDeps, signal: AbortSignal): Promise<ScanOutcome> {
  const previous = claimed.scan.result;
  let inventory: Inventory;
  let scannedAt: string;
  if (claimed.scan.reason === 'vulndb' && previous !== undefined) {
    ({ inventory, scannedAt } = previous);
  } else {
    let current: string | undefined;
    const sources: LayerSource[] = claimed.layers.map((layer) => ({
      digest: layer.digest,
      mediaType: layer.mediaType,
      open: async (): Promise<Readable> => {
        current = layer.digest;
        signal.throwIfAborted();
        const stream = (await deps.blobs.open(parseDigest(layer.digest))).stream();
        // Main stopping ends the read at once; the scan stays claimed and is queued again at the next start.
        const abort = () => stream.destroy(signal.reason as Error);
        signal.addEventListener('abort', abort, { once: true });
        stream.once('close', () => signal.removeEventListener('abort', abort));
        return stream;
      },
    }));
    try {
      inventory = await scanImage(sources, deps.scanOptions);
    } catch (err) {
      signal.throwIfAborted();
      return { state: 'failed', error: layerFailure(err, current, deps) };
    }
    scannedAt = new Date(deps.now()).toISOString();
  }
  try {
    const report = await deps.vulndb.match(inventory);
    return {
      state: 'done',
      result: {
        inventory,
        vulnerabilities: report.findings,
        counts: report.counts,
        dbGeneration: report.generation,
        scannedAt,
      },
    };
  } catch (err) {
    signal.throwIfAborted();
    deps.onUnexpected?.(err);
    return { state: 'failed', error: 'the vulnerability database could not be read' };
  }
}

function layerFailure(err: unknown, layer: string | undefined, deps: RunScanDeps): string {
  const which = layer === undefined ? 'a layer' : `layer ${layer}`;
  if (err instanceof BlobNotFoundError) return `${which} is not in the blob store (deleted since the push?)`;
  if (err instanceof LayerFormatError) return `${which} cannot be read: ${err.message}`.slice(0, MAX_MESSAGE);
  // zlib and tar-stream report corrupt input with these codes or names.
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('Z_')) return `${which} is not valid gzip`;
  deps.onUnexpected?.(err);
  return `${which} could not be read`;
}
