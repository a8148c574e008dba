/**
 * @module scan/layer-reader
 * Reads one layer's tar stream entry by entry (tar-stream) and returns what the layer changes in the image
 * view: the analyzed files it adds or replaces, the tracked paths it overwrites, and its whiteouts.
 * Memory: only files an analyzer accepts are buffered, each up to `maxFileBytes` (larger ones are skipped and
 * reported without being read into memory); stream analyzers see chunks. Everything else is drained.
 * A hard link to a file this layer analyzed yields that file's packages at the link's path.
 * Whiteouts follow the OCI image-spec (layer.md "Whiteouts"): `.wh.<name>` hides <name> of lower layers,
 * `.wh..wh..opq` hides all lower-layer content of its directory; both apply to lower layers only.
 * Must not know about registries, HTTP or storage: it takes a stream.
 */
import type { Readable } from 'node:stream';
import { extract as createExtract } from 'tar-stream';
import { isOsRelease, parseOsRelease } from './analyzers/os-release.js';
import { LayerFormatError } from './layer-decompress.js';
import type { Analyzer, Distro, FileInfo, FoundPackage, SkippedFile } from './types.js';

/** What one path of the view holds for the scanner. */
export interface ViewEntry {
  packages: FoundPackage[];
  distro?: Distro;
}

export interface LayerChanges {
  /** Paths this layer writes: an analyzed result, or null for a tracked path overwritten by something else. */
  entries: Map<string, ViewEntry | null>;
  /** Paths whose lower-layer content (and everything below them) this layer deletes. */
  whiteouts: string[];
  /** Directories whose lower-layer content this layer hides. */
  opaqueDirs: string[];
  skipped: SkippedFile[];
}

export interface ReadLayerOptions {
  digest: string;
  analyzers: readonly Analyzer[];
  maxFileBytes: number;
  /** Whether a lower layer left something at this path that the view tracks. */
  isTracked(path: string): boolean;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Strips "./", leading and trailing slashes; tar paths of layers are relative to the root. */
export function normalizeTarPath(name: string): string {
  return name
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

export async function readLayer(tar: Readable, options: ReadLayerOptions): Promise<LayerChanges> {
  const changes: LayerChanges = { entries: new Map(), whiteouts: [], opaqueDirs: [], skipped: [] };
  const extract = createExtract();
  tar.on('error', (err) => extract.destroy(err));
  tar.pipe(extract);
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const path = normalizeTarPath(header.name);
      const slash = path.lastIndexOf('/');
      const base = path.slice(slash + 1);
      const dir = slash < 0 ? '' : path.slice(0, slash);
      if (base === OPAQUE) {
        changes.opaqueDirs.push(dir);
      } else if (base.startsWith(WHITEOUT_PREFIX)) {
        const hidden = base.slice(WHITEOUT_PREFIX.length);
        changes.whiteouts.push(dir === '' ? hidden : `${dir}/${hidden}`);
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        const result = await readFile(entry, { path, mode: header.mode ?? 0, size: header.size ?? 0 }, options);
        if (result.skipped) changes.skipped.push({ layer: options.digest, path, ...result.skipped });
        // Only files that yielded something are kept, so the view stays as small as the inventory; any other
        // file at a kept path (this layer's own earlier entry or a lower layer's) replaces it with nothing.
        const found = result.entry && (result.entry.packages.length > 0 || result.entry.distro !== undefined);
        if (found && result.entry) changes.entries.set(path, result.entry);
        else if (options.isTracked(path) || changes.entries.has(path)) changes.entries.set(path, null);
        continue;
      } else if (header.type === 'link' && header.linkname) {
        // A hard link names an earlier entry of the same archive (POSIX tar, LNKTYPE): it has that file's content.
        const target = changes.entries.get(normalizeTarPath(header.linkname));
        if (target) changes.entries.set(path, { ...target, packages: target.packages.map((p) => ({ ...p, path })) });
        else if (options.isTracked(path) || changes.entries.has(path)) changes.entries.set(path, null);
      } else if (path !== '' && (options.isTracked(path) || changes.entries.has(path))) {
        changes.entries.set(path, null);
      }
      entry.resume();
    }
  } catch (err) {
    if (err instanceof LayerFormatError) throw err;
    throw new LayerFormatError(`layer ${options.digest}: ${(err as Error).message}`);
  }
  return changes;
}

interface FileResult {
  entry?: ViewEntry;
  skipped?: Omit<SkippedFile, 'layer' | 'path'>;
}

async function readFile(entry: AsyncIterable<unknown>, file: FileInfo, options: ReadLayerOptions): Promise<FileResult> {
  const osRelease = isOsRelease(file.path);
  const analyzer = osRelease ? undefined : options.analyzers.find((a) => a.accepts(file));
  if (!analyzer && !osRelease) return drain(entry, {});
  if (analyzer?.kind === 'stream') {
    const sink = analyzer.open(file.path);
    let wanted = true;
    for await (const chunk of entry) {
      if (wanted) wanted = sink.write(chunk as Buffer);
    }
    const out = sink.end();
    return { entry: { packages: out.packages }, skipped: out.skipped };
  }
  if (file.size > options.maxFileBytes) {
    return drain(entry, { skipped: { reason: 'too-large', detail: `${file.size} bytes` } });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  try {
    if (osRelease) return { entry: { packages: [], distro: parseOsRelease(bytes) } };
    return { entry: { packages: analyzer?.parse(file.path, bytes) ?? [] } };
  } catch (err) {
    return { entry: { packages: [] }, skipped: { reason: 'unreadable', detail: (err as Error).message.slice(0, 200) } };
  }
}

async function drain(entry: AsyncIterable<unknown>, result: FileResult): Promise<FileResult> {
  for await (const _ of entry) {
    // Discarded: the tar stream cannot move to the next entry before this one is consumed.
  }
  return result;
}
