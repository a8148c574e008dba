/**
 * @module scan/analyzers/go-buildinfo
 * Go modules from an ELF executable's build info, read as a stream: the file is never buffered.
 * Layout (Go's debug/buildinfo and runtime/debug, Go >= 1.18 with inline strings): a 32-byte header at a
 * 16-byte aligned offset, starting "\xff Go buildinf:", byte 14 the pointer size (4 or 8), byte 15 flags
 * (bit 1: strings inline). Then two uvarint-length-prefixed strings: the Go version and the module info.
 * The module info is wrapped in 16 sentinel bytes each side; its lines are tab separated:
 * "path", "mod path version [sum]", "dep path version [sum]", "=> path version [sum]" (replaces the previous
 * dep), "build key=value". Older binaries store pointers instead of strings; they are reported unsupported.
 * A header counts only if its version string reads like a Go version (the magic is also a constant in binaries
 * that import debug/buildinfo); otherwise the search goes on. Bounds: the version string is capped at
 * MAX_GO_VERSION_BYTES and the module info at MAX_INFO_BYTES, so at most about 4 MiB is ever buffered.
 */
import type { FoundPackage, StreamAnalyzer, StreamSink } from '../types.js';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_BYTES = 32;
const ALIGN = 16;
const MAX_INFO_BYTES = 4 * 1024 * 1024;
// "go1.24.3", or "devel go1.25-abcdef Tue Jan 1 ..." for a toolchain built from source.
const MAX_GO_VERSION_BYTES = 256;
const GO_VERSION = /^(?:go1|devel )/;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Reads a uvarint (encoding/binary) at `at`; undefined when the buffer ends first or it overflows 2^32. */
function readUvarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const b = buf[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return { value, next: at + i + 1 };
  }
  return undefined;
}

type Parsed = { goVersion: string; modInfo: string } | 'need-more' | 'invalid';

/** Parses the two inline strings following a header; `buf` starts at the header. */
export function parseInlineStrings(buf: Buffer): Parsed {
  const v = readUvarint(buf, HEADER_BYTES);
  if (!v) return buf.length - HEADER_BYTES >= 5 ? 'invalid' : 'need-more';
  if (v.value > MAX_GO_VERSION_BYTES) return 'invalid';
  if (buf.length < v.next + v.value) return 'need-more';
  if (!GO_VERSION.test(buf.toString('latin1', v.next, v.next + v.value))) return 'invalid';
  const m = readUvarint(buf, v.next + v.value);
  if (!m) return buf.length - (v.next + v.value) >= 5 ? 'invalid' : 'need-more';
  if (m.value > MAX_INFO_BYTES) return 'invalid';
  if (buf.length < m.next + m.value) return 'need-more';
  return {
    goVersion: buf.toString('utf8', v.next, v.next + v.value),
    modInfo: buf.toString('utf8', m.next, m.next + m.value),
  };
}

/** Module list of a modinfo string (runtime/debug.ParseBuildInfo's format), plus "stdlib" at the Go version. */
export function parseModInfo(path: string, goVersion: string, rawModInfo: string): FoundPackage[] {
  // Go strips the sentinels the same way: 16 bytes each side when the 17th byte from the end is "\n".
  const modInfo =
    rawModInfo.length >= 33 && rawModInfo[rawModInfo.length - 17] === '\n' ? rawModInfo.slice(16, -16) : rawModInfo;
  const found: FoundPackage[] = [];
  const toPackage = (modulePath: string, version: string): FoundPackage => {
    const slash = modulePath.lastIndexOf('/');
    const namespace = slash < 0 ? undefined : modulePath.slice(0, slash);
    return { ecosystem: 'golang', namespace, name: modulePath.slice(slash + 1), version, path };
  };
  for (const line of modInfo.split('\n')) {
    const [kind, modulePath, version] = line.split('\t');
    if (!modulePath || !version) continue;
    if (kind === 'mod' && version !== '(devel)') found.push(toPackage(modulePath, version));
    if (kind === 'dep') found.push(toPackage(modulePath, version));
    if (kind === '=>' && found.length > 0) found[found.length - 1] = toPackage(modulePath, version);
  }
  if (/^go\d/.test(goVersion)) {
    found.push({ ecosystem: 'golang', name: 'stdlib', version: `v${goVersion.slice(2).split(' ')[0]}`, path });
  }
  return found;
}

/** Finds the first valid build info header in a stream of chunks and collects the strings after it. */
export function createBuildInfoSink(path: string): StreamSink {
  let offset = 0; // file offset of tail[0]
  let tail: Buffer = Buffer.alloc(0);
  let state = 'first' as 'first' | 'search' | 'collect' | 'done';
  let result: FoundPackage[] = [];
  let unsupported = false;
  const search = (): void => {
    for (let at = tail.indexOf(MAGIC); at >= 0; at = tail.indexOf(MAGIC, at + 1)) {
      if ((offset + at) % ALIGN !== 0) continue;
      if (tail.length < at + HEADER_BYTES) break; // decide once the whole header is here
      const ptrSize = tail[at + 14];
      const flags = tail[at + 15] ?? 0;
      if (ptrSize !== 4 && ptrSize !== 8) continue;
      if ((flags & 2) === 0) {
        unsupported = true;
        state = 'done';
        return;
      }
      tail = tail.subarray(at);
      offset += at;
      state = 'collect';
      return;
    }
    // Keep the bytes that could start a header split across chunks.
    const keep = Math.min(tail.length, HEADER_BYTES + ALIGN);
    offset += tail.length - keep;
    tail = Buffer.from(tail.subarray(tail.length - keep));
  };
  const collect = (): void => {
    const parsed = parseInlineStrings(tail);
    if (parsed === 'need-more' && tail.length < MAX_INFO_BYTES + MAX_GO_VERSION_BYTES + 64) return;
    if (parsed === 'invalid') {
      // The magic also occurs as a constant in binaries that import debug/buildinfo: look further.
      tail = tail.subarray(1);
      offset += 1;
      state = 'search';
      search();
      if ((state as string) === 'collect') collect();
      return;
    }
    state = 'done';
    if (typeof parsed === 'object') result = parseModInfo(path, parsed.goVersion, parsed.modInfo);
  };
  return {
    write(chunk) {
      if (state === 'done') return false;
      tail = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
      if (state === 'first') {
        if (tail.length < ELF.length) return true;
        if (!tail.subarray(0, ELF.length).equals(ELF)) {
          state = 'done';
          return false;
        }
        state = 'search';
      }
      if (state === 'search') search();
      if (state === 'collect') collect();
      return (state as string) !== 'done';
    },
    end() {
      if (state === 'collect') {
        const parsed = parseInlineStrings(tail);
        if (typeof parsed === 'object') result = parseModInfo(path, parsed.goVersion, parsed.modInfo);
      }
      return unsupported
        ? { packages: [], skipped: { reason: 'unsupported', detail: 'Go build info without inline strings (< 1.18)' } }
        : { packages: result };
    },
  };
}

export const goBinaryAnalyzer: StreamAnalyzer = {
  kind: 'stream',
  name: 'go-binary',
  // Executables only: a Go binary in an image is installed with an execute bit.
  accepts: (file) => (file.mode & 0o111) !== 0 && file.size > HEADER_BYTES,
  open: (path) => createBuildInfoSink(path),
};
