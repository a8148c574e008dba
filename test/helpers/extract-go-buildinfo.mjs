#!/usr/bin/env node
// One-off: cuts a Go binary down to what the build info parser reads, for a small committed fixture
// (test/fixtures/go-buildinfo/README.md). Keeps the ELF header (64 bytes: the parser checks the magic) and the
// build info region: the 32-byte "\xff Go buildinf:" header and the two uvarint-prefixed strings after it
// (Go version, module info). The region stays at a 16-byte aligned offset, as the parser searches it there.
// Usage: node test/helpers/extract-go-buildinfo.mjs BINARY OUT
import { readFileSync, writeFileSync } from 'node:fs';

const [binaryPath, outPath] = process.argv.slice(2);
if (!binaryPath || !outPath) throw new Error('usage: extract-go-buildinfo.mjs BINARY OUT');
const binary = readFileSync(binaryPath);
const magic = Buffer.from('\xff Go buildinf:', 'latin1');

function uvarint(at) {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const b = binary[at + i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return { value, next: at + i + 1 };
  }
  throw new Error('uvarint too long');
}

// The first aligned magic whose flags say "strings inline" and whose version string reads like a Go version.
for (let at = binary.indexOf(magic); at !== -1; at = binary.indexOf(magic, at + 1)) {
  if (at % 16 !== 0 || (binary[at + 15] & 2) === 0) continue;
  const version = uvarint(at + 32);
  const goVersion = binary.subarray(version.next, version.next + version.value).toString('latin1');
  if (!/^(?:go1|devel )/.test(goVersion)) continue;
  const info = uvarint(version.next + version.value);
  const end = info.next + info.value;
  writeFileSync(outPath, Buffer.concat([binary.subarray(0, 64), binary.subarray(at, end)]));
  console.log(`${goVersion}: ${end - at} bytes of build info from offset ${at}`);
  process.exit(0);
}
throw new Error(`no Go build info in ${binaryPath}`);
