// Go build info read from this machine's real Go binaries: /usr/local/bin/docker (40 MiB, built in GOPATH mode,
// so it has no module list) and /usr/local/bin/terraform (86 MiB, 200+ modules), straight from disk in chunks
// and inside a layer. The expected Go version comes from the binary itself (`docker version`), the expected
// modules from the modinfo text found with a plain text search.
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createBuildInfoSink } from '../../../main/scan/analyzers/go-buildinfo.js';
import { scanImage } from '../../../main/scan/scan-image.js';
import { compressedLayer } from '../../helpers/layer-tar.js';

const DOCKER = '/usr/local/bin/docker';
const TERRAFORM = '/usr/local/bin/terraform';

function goVersionOfDocker(): string {
  try {
    return execFileSync(DOCKER, ['version', '-f', '{{.Client.GoVersion}}'], { stdio: 'pipe' }).toString().trim();
  } catch (err) {
    // Without a daemon docker exits 1 after printing the client part.
    return ((err as { stdout: Buffer }).stdout.toString().split('\n')[0] ?? '').trim();
  }
}

/** The modules of a modinfo text found by a plain search: each dep line, or the "=>" line right after it. */
function modulesOf(binary: Buffer): string[] {
  const text = binary.toString('latin1');
  const start = text.indexOf('\nmod\t');
  const lines = text.slice(start, text.indexOf('\n\xf92C1', start)).split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const [kind, path, version] = line.split('\t');
    if (kind === 'dep') out.push(`${path}@${version}`);
    if (kind === '=>') out[out.length - 1] = `${path}@${version}`;
  }
  return out;
}

async function sinkOverFile(path: string, chunkBytes: number) {
  const sink = createBuildInfoSink('usr/local/bin/docker');
  for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes })) {
    if (!sink.write(chunk as Buffer)) break;
  }
  return sink.end();
}

describe('Go build info of real binaries', () => {
  const docker = readFileSync(DOCKER);
  const goVersion = goVersionOfDocker();

  it('lists only the standard library for docker, a GOPATH build whose modinfo has no mod or dep', async () => {
    expect(goVersion).toMatch(/^go1\.\d+/);
    expect(docker.toString('latin1')).not.toMatch(/\ndep\t/);
    const { packages, skipped } = await sinkOverFile(DOCKER, 65536);
    expect(skipped).toBeUndefined();
    expect(packages).toEqual([
      { ecosystem: 'golang', name: 'stdlib', version: `v${goVersion.slice(2)}`, path: 'usr/local/bin/docker' },
    ]);
  });

  it('lists every dep of terraform, a module-mode build, with "=>" replacements applied', async () => {
    const expected = modulesOf(readFileSync(TERRAFORM));
    expect(expected.length).toBeGreaterThan(100);
    const { packages } = await sinkOverFile(TERRAFORM, 65536);
    const got = packages
      .filter((p) => p.name !== 'stdlib')
      .map((p) => `${p.namespace ? `${p.namespace}/` : ''}${p.name}@${p.version}`);
    expect(got).toEqual(expected);
    expect(packages).toContainEqual(
      expect.objectContaining({
        namespace: 'github.com/hashicorp/hcl',
        name: 'v2',
        version: expect.stringMatching(/^v2\./),
      }),
    );
  });

  it('finds the header when chunk boundaries split it anywhere', async () => {
    const whole = await sinkOverFile(TERRAFORM, 65536);
    const odd = await sinkOverFile(TERRAFORM, 4099);
    expect(odd.packages).toEqual(whole.packages);
  });

  it('reads the binary inside an uncompressed layer and purls it', async () => {
    const layer = await compressedLayer([{ path: 'usr/local/bin/docker', content: docker, mode: 0o755 }], 'none');
    const inventory = await scanImage([layer]);
    expect(inventory.packages.map((p) => p.purl)).toEqual([`pkg:golang/stdlib@v${goVersion.slice(2)}`]);
  }, 60_000);

  it('ignores the same bytes without an execute bit', async () => {
    const layer = await compressedLayer([{ path: 'srv/docker.bin', content: docker, mode: 0o644 }], 'none');
    expect((await scanImage([layer])).packages).toEqual([]);
  }, 60_000);
});

describe('createBuildInfoSink', () => {
  it('finds a header and strings split across two chunks at any byte', () => {
    const docker = readFileSync(DOCKER);
    const at = docker.indexOf('\xff Go buildinf:', 0, 'latin1');
    // The ELF start and the build info region, with the header kept 16-byte aligned.
    const small = Buffer.concat([docker.subarray(0, 4096), docker.subarray(at, at + 4096)]);
    const whole = createBuildInfoSink('d');
    whole.write(small);
    const expected = whole.end();
    expect(expected.packages).toHaveLength(1);
    for (let split = 4096 - 20; split < 4096 + 80; split++) {
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
