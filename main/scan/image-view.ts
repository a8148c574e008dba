/**
 * @module scan/image-view
 * The image as the scanner sees it after each layer: path -> what the analyzers read there, and for every
 * package identity the layer since which it has been present without a gap. Applying a layer first applies
 * its whiteouts to the lower layers, then its own entries (OCI image-spec layer.md: whiteouts hide lower
 * layers only). Holds only analyzed results, never file contents.
 */
import type { LayerChanges, ViewEntry } from './layer-reader.js';
import type { FoundPackage } from './types.js';

/** Identity of a package for "introduced by": same ecosystem, coordinates, version and arch. */
function identity(p: FoundPackage): string {
  return [p.ecosystem, p.namespace ?? '', p.name, p.version, p.arch ?? ''].join('\u0000');
}

export class ImageView {
  readonly #paths = new Map<string, ViewEntry>();
  #introduced = new Map<string, string>();

  isTracked(path: string): boolean {
    return this.#paths.has(path);
  }

  apply(digest: string, changes: LayerChanges): void {
    for (const hidden of changes.whiteouts) this.#deleteTree(hidden, true);
    for (const dir of changes.opaqueDirs) this.#deleteTree(dir, false);
    for (const [path, entry] of changes.entries) {
      if (entry) this.#paths.set(path, entry);
      else this.#paths.delete(path);
    }
    const next = new Map<string, string>();
    for (const entry of this.#paths.values()) {
      for (const p of entry.packages) {
        const key = identity(p);
        if (!next.has(key)) next.set(key, this.#introduced.get(key) ?? digest);
      }
    }
    this.#introduced = next;
  }

  /** Paths with what was read there, in path order so that results are stable. */
  entries(): [string, ViewEntry][] {
    return [...this.#paths].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  introducedBy(p: FoundPackage): string | undefined {
    return this.#introduced.get(identity(p));
  }

  #deleteTree(root: string, includeRoot: boolean): void {
    const prefix = root === '' ? '' : `${root}/`;
    for (const path of [...this.#paths.keys()]) {
      if ((includeRoot && path === root) || path.startsWith(prefix)) this.#paths.delete(path);
    }
  }
}
