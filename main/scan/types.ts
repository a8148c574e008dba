/**
 * @module scan/types
 * The shapes shared by the layer reader, the analyzers, the cross-layer view and the SBOM renderers.
 * Owns no behaviour; must not import anything that does I/O.
 */

/** The ecosystems the scanner recognises; the names are purl types (package-url spec, PURL-TYPES). */
export type Ecosystem =
  /** Debian and Ubuntu packages from the dpkg database. */
  | 'deb'
  /** Alpine packages from the apk installed database. */
  | 'apk'
  /** npm packages from package-lock.json and node_modules. */
  | 'npm'
  /** Python distributions from *.dist-info/METADATA. */
  | 'pypi'
  /** Go modules from a binary's build info, plus the Go standard library ("stdlib"). */
  | 'golang'
  /** Java artifacts from META-INF/maven/.../pom.properties inside jar, war and ear files. */
  | 'maven';

/** A package as an analyzer reads it from one file, before layers and purls are known. */
export interface FoundPackage {
  ecosystem: Ecosystem;
  /** purl namespace: a Maven groupId, an npm scope with its "@", the Go module path's prefix. */
  namespace?: string;
  name: string;
  version: string;
  /** Machine architecture as the package database spells it (dpkg "amd64", apk "x86_64"). */
  arch?: string;
  /** Source package (dpkg "Source", apk origin): distribution advisories are keyed on it. */
  sourceName?: string;
  sourceVersion?: string;
  /** Path in the image of the file the package was read from, without a leading slash. */
  path: string;
}

/** A package of the final image view. */
export interface InventoryPackage extends FoundPackage {
  /** Digest of the first layer from which this package is present in every later view. */
  layer: string;
  /** package-url, see purl.ts. */
  purl: string;
}

/** A file an analyzer wanted but did not read, so the inventory may be incomplete. */
export interface SkippedFile {
  layer: string;
  path: string;
  /** "too-large": over the per-file cap; "unreadable": the analyzer could not parse it; "unsupported": a format
   * the scanner knows but does not read (Go build info of Go < 1.18). */
  reason: 'too-large' | 'unreadable' | 'unsupported';
  detail?: string;
}

/** The distribution named by etc/os-release (or usr/lib/os-release) of the final view. */
export interface Distro {
  /** ID, e.g. "debian", "alpine", "ubuntu". */
  id: string;
  /** VERSION_ID, e.g. "12", "3.20.3"; may be absent on rolling distributions. */
  versionId?: string;
  prettyName?: string;
}

export interface Inventory {
  packages: InventoryPackage[];
  skipped: SkippedFile[];
  distro?: Distro;
  /** Digests of the layers read, bottom first. */
  layers: string[];
}

/** Facts about a tar entry that decide whether an analyzer wants it. */
export interface FileInfo {
  /** Normalised path: no leading "./" or "/", no trailing "/". */
  path: string;
  mode: number;
  size: number;
}

/** Reads a whole file, buffered by the reader up to the per-file cap. */
export interface WholeFileAnalyzer {
  readonly kind: 'whole';
  readonly name: string;
  accepts(file: FileInfo): boolean;
  /** Throws on malformed input; the reader reports the file as unreadable and goes on. */
  parse(path: string, bytes: Buffer): FoundPackage[];
}

/** Reads a file chunk by chunk without buffering it (Go binaries can be hundreds of MiB). */
export interface StreamAnalyzer {
  readonly kind: 'stream';
  readonly name: string;
  accepts(file: FileInfo): boolean;
  open(path: string): StreamSink;
}

export interface StreamSink {
  /** Returns false once the sink needs no more bytes, so the reader can just drain the entry. */
  write(chunk: Buffer): boolean;
  end(): { packages: FoundPackage[]; skipped?: Omit<SkippedFile, 'layer' | 'path'> };
}

export type Analyzer = WholeFileAnalyzer | StreamAnalyzer;
