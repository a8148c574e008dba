// Go build info of two real Go binaries, cut down to what the parser reads (test/fixtures/go-buildinfo/README.md:
// the ELF header and the build info region, made by test/helpers/extract-go-buildinfo.mjs): Terraform v1.11.4,
// a module-mode build (go1.23.3, 221 deps, 9 replaced by local paths), and the docker 28.2.2 CLI, a GOPATH
// build (go1.24.3) whose module info has no mod or dep line. Read in chunks, as from a layer stream.
import { createReadStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createBuildInfoSink } from '../../../main/scan/analyzers/go-buildinfo.js';
import { scanImage } from '../../../main/scan/scan-image.js';
import { compressedLayer } from '../../helpers/layer-tar.js';

const FIXTURES = 'test/fixtures/go-buildinfo';
const DOCKER = `${FIXTURES}/docker.bin`;
const TERRAFORM = `${FIXTURES}/terraform.bin`;

async function sinkOverFile(path: string, chunkBytes: number) {
  const sink = createBuildInfoSink('usr/local/bin/tool');
  for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes })) {
    if (!sink.write(chunk as Buffer)) break;
  }
  return sink.end();
}

const coordinates = (p: { namespace?: string; name: string; version?: string }): string =>
  `${p.namespace ? `${p.namespace}/` : ''}${p.name}@${p.version}`;

describe('Go build info of real binaries', () => {
  it('lists only the standard library for docker, a GOPATH build whose modinfo has no mod or dep', async () => {
    const { packages, skipped } = await sinkOverFile(DOCKER, 256);
    expect(skipped).toBeUndefined();
    expect(packages).toEqual([{ ecosystem: 'golang', name: 'stdlib', version: 'v1.24.3', path: 'usr/local/bin/tool' }]);
  });

  it('lists every dep of terraform, a module-mode build, with "=>" replacements applied', async () => {
    const { packages, skipped } = await sinkOverFile(TERRAFORM, 4099);
    expect(skipped).toBeUndefined();
    const got = packages.map(coordinates);
    expect(got).toHaveLength(222);
    expect(got).toEqual(
      expect.arrayContaining([
        'stdlib@v1.23.3',
        'github.com/hashicorp/hcl/v2@v2.23.0',
        'github.com/hashicorp/hcl@v1.0.0',
        'github.com/zclconf/go-cty@v1.16.0',
        'golang.org/x/crypto@v0.35.0',
        // "dep github.com/hashicorp/terraform/internal/backend/remote-state/azure v0.0.0-00010101000000-..."
        // followed by "=> ./internal/backend/remote-state/azure (devel)".
        './internal/backend/remote-state/azure@(devel)',
      ]),
    );
    expect(got.filter((c) => c.startsWith('github.com/hashicorp/terraform/'))).toEqual([]);
    expect(packages).toContainEqual(
      expect.objectContaining({ namespace: 'github.com/hashicorp/hcl', name: 'v2', version: 'v2.23.0' }),
    );
  });

  it('finds the header when chunk boundaries split it anywhere', async () => {
    const whole = await sinkOverFile(TERRAFORM, 65536);
    for (const chunkBytes of [3, 16, 4099]) {
      expect(await sinkOverFile(TERRAFORM, chunkBytes), `chunks of ${chunkBytes}`).toEqual(whole);
    }
  });

  it('reads the binary inside an uncompressed layer and purls it', async () => {
    const content = readFileSync(DOCKER);
    const layer = await compressedLayer([{ path: 'usr/local/bin/docker', content, mode: 0o755 }], 'none');
    const inventory = await scanImage([layer]);
    expect(inventory.packages.map((p) => `${p.purl} ${p.path}`)).toEqual([
      'pkg:golang/stdlib@v1.24.3 usr/local/bin/docker',
    ]);
  });

  it('ignores the same bytes without an execute bit', async () => {
    const content = readFileSync(DOCKER);
    const layer = await compressedLayer([{ path: 'srv/docker.bin', content, mode: 0o644 }], 'none');
    expect((await scanImage([layer])).packages).toEqual([]);
  });
});

describe('createBuildInfoSink', () => {
  it('finds a header and strings split across two chunks at any byte', () => {
    const small = readFileSync(DOCKER);
    const at = small.indexOf('\xff Go buildinf:', 0, 'latin1');
    const whole = createBuildInfoSink('d');
    whole.write(small);
    const expected = whole.end();
    expect(expected.packages).toHaveLength(1);
    for (let split = at - 20; split < at + 80; split++) {
      const sink = createBuildInfoSink('d');
      if (sink.write(small.subarray(0, split))) sink.write(small.subarray(split));
      expect(sink.end(), `split at ${split}`).toEqual(expected);
    }
  });

  const elf = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60), body]);
  const header = (flags: number): Buffer => {
    const h = Buffer.alloc(32);
    h.write('\xff Go buildinf:', 0, 'latin1');
    h[14] = 8;
    h[15] = flags;
    return h;
  };

  it('reports Go < 1.18 pointer-style build info as unsupported instead of guessing', () => {
    const sink = createBuildInfoSink('bin/old');
    sink.write(elf(Buffer.concat([header(0), Buffer.alloc(64)])));
    expect(sink.end()).toEqual({ packages: [], skipped: { reason: 'unsupported', detail: expect.any(String) } });
  });

  it('passes over the magic where it is a constant, not a header, and reads the real header after it', () => {
    const sink = createBuildInfoSink('bin/tool');
    const versionAndMod = (version: string, mod: string) =>
      Buffer.concat([Buffer.from([version.length]), Buffer.from(version), Buffer.from([mod.length]), Buffer.from(mod)]);
    const constant = Buffer.concat([header(2), Buffer.from([0x05]), Buffer.from('\x00\x01xyz'), Buffer.alloc(16)]);
    const real = Buffer.concat([header(2), versionAndMod('go1.22.5', 'dep\tgolang.org/x/mod\tv0.17.0\th1:x=\n')]);
    sink.write(elf(Buffer.concat([constant, Buffer.alloc(64 - constant.length), real])));
    expect(sink.end().packages.map((p) => `${p.namespace}/${p.name}@${p.version}`)).toEqual([
      'golang.org/x/mod@v0.17.0',
      'undefined/stdlib@v1.22.5',
    ]);
  });

  it('refuses a declared string length beyond its cap without waiting for it', () => {
    const sink = createBuildInfoSink('bin/lying');
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]); // uvarint 2^32 - 1
    sink.write(elf(Buffer.concat([header(2), huge, Buffer.alloc(64)])));
    expect(sink.end()).toEqual({ packages: [] });
  });

  it('stops at once on a file that is not ELF', () => {
    const sink = createBuildInfoSink('bin/script.sh');
    expect(sink.write(Buffer.from('#!/bin/sh\necho hello\n'))).toBe(false);
    expect(sink.end()).toEqual({ packages: [] });
  });
});
