/**
 * @module scan/scan-image
 * Software inventory of an image: reads its layers bottom first, one at a time, each as a stream, and lists
 * the packages of the final view with the layer that introduced each and its purl.
 *
 * Contract:
 * - Input: the layers in manifest order, each with digest, media type and a function opening its blob stream.
 *   The scanner opens one layer at a time and consumes it to the end; it never holds a layer in memory: only
 *   files an analyzer asks for are buffered, each up to `maxFileBytes` (default 16 MiB); larger ones, and files
 *   an analyzer cannot parse, are listed in `skipped` and the scan goes on.
 * - Output: packages sorted by purl then path, one entry per (purl, path); `layer` is the first layer from which
 *   the package is present in every later view (an upgrade, or a delete and re-add, moves it up).
 * - Errors: LayerFormatError (code LAYER_FORMAT) when a blob is not a layer, its compression or tar is corrupt;
 *   errors of `open()` and of the blob stream propagate as they are. Each opened stream is destroyed once its
 *   layer is read or has failed.
 * - No HTTP, storage, database or vulnerability knowledge here.
 */
import type { Readable } from 'node:stream';
import { DEFAULT_ANALYZERS } from './analyzers/default-analyzers.js';
import { OS_RELEASE_PATHS } from './analyzers/os-release.js';
import { ImageView } from './image-view.js';
import { openLayerTar } from './layer-decompress.js';
import { readLayer } from './layer-reader.js';
import { purlOf } from './purl.js';
import type { Analyzer, Distro, Inventory, InventoryPackage, SkippedFile } from './types.js';

export interface LayerSource {
  digest: string;
  mediaType: string;
  open(): Promise<Readable> | Readable;
}

export interface ScanOptions {
  /** Largest file an analyzer may have buffered; default 16 MiB. */
  maxFileBytes?: number;
  analyzers?: readonly Analyzer[];
}

export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

export async function scanImage(layers: readonly LayerSource[], options: ScanOptions = {}): Promise<Inventory> {
  const view = new ImageView();
  const skipped: SkippedFile[] = [];
  const analyzers = options.analyzers ?? DEFAULT_ANALYZERS;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  for (const layer of layers) {
    const blob = await layer.open();
    try {
      const tar = await openLayerTar(blob, layer.mediaType);
      const changes = await readLayer(tar, {
        digest: layer.digest,
        analyzers,
        maxFileBytes,
        isTracked: (path) => view.isTracked(path),
      });
      view.apply(layer.digest, changes);
      skipped.push(...changes.skipped);
    } finally {
      // A refused or corrupt layer leaves its source half read: release the file or connection behind it.
      blob.destroy();
    }
  }
  const entries = view.entries();
  const distro = findDistro(entries);
  const packages: InventoryPackage[] = [];
  const seen = new Set<string>();
  for (const [, entry] of entries) {
    for (const p of entry.packages) {
      const purl = purlOf(p, distro);
      const key = `${purl}\u0000${p.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      packages.push({ ...p, purl, layer: view.introducedBy(p) ?? layers[layers.length - 1]?.digest ?? '' });
    }
  }
  packages.sort((a, b) => (a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : a.path < b.path ? -1 : 1));
  return { packages, skipped, distro, layers: layers.map((l) => l.digest) };
}

function findDistro(entries: [string, { distro?: Distro }][]): Distro | undefined {
  for (const wanted of OS_RELEASE_PATHS) {
    const found = entries.find(([path]) => path === wanted)?.[1].distro;
    if (found) return found;
  }
  return undefined;
}
