// A generated 200 MiB gzip layer of 3,200 files (plus one 20 MiB jar over the cap), produced while it is read,
// so neither the test nor the scanner ever holds it: the scanner's resident memory may grow by far less
// than the layer. RSS is sampled loosely (it also moves with GC); no timing is asserted.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { pack as createPack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { scanImage } from '../../../main/scan/scan-image.js';

const FILES = 3200;
const FILE_BYTES = 64 * 1024;
const MiB = 1024 * 1024;

function generatedLayer(): Readable {
  const pack = createPack();
  const block = randomBytes(FILE_BYTES); // incompressible, so gzip really moves 200 MiB
  const entry = (name: string, content: Buffer) =>
    new Promise<void>((resolve, reject) =>
      pack.entry({ name, mode: 0o644 }, content, (err) => (err ? reject(err) : resolve())),
    );
  void (async () => {
    for (let i = 0; i < FILES; i++) {
      await entry(`data/${i % 64}/file-${i}.bin`, block);
      if (i % 100 === 0) {
        await entry(`app/node_modules/pkg-${i}/package.json`, Buffer.from(`{"name":"pkg-${i}","version":"1.0.${i}"}`));
      }
    }
    await entry('app/lib/huge.jar', Buffer.alloc(20 * MiB));
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack.pipe(createGzip({ level: 1 }));
}

describe('scanImage on a 200 MiB layer', () => {
  it('reads it with memory growth far below its size, finds the manifests, skips the huge jar', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const inventory = await scanImage([
        { digest: 'sha256:generated', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', open: generatedLayer },
      ]);
      expect(inventory.packages).toHaveLength(FILES / 100);
      expect(inventory.skipped).toEqual([
        { layer: 'sha256:generated', path: 'app/lib/huge.jar', reason: 'too-large', detail: `${20 * MiB} bytes` },
      ]);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMiB = (peak - before) / MiB;
    console.log(`large layer: RSS ${Math.round(before / MiB)} MiB before, growth ${growthMiB.toFixed(1)} MiB`);
    expect(growthMiB).toBeLessThan(100);
  }, 180_000);
});
