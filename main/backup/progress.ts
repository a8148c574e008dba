/**
 * @module Progress of a backup or restore on the terminal (stderr): blobs and bytes done of the
 * total, and the rate, at most once a second and once at the end; nothing with --quiet.
 */
import { formatBytes } from '../../src/config/units.js';

export interface Progress {
  /** One blob done (copied, linked or already there), of `bytes`. */
  blobDone(bytes: number): void;
  /** The last line, whatever the time since the one before. */
  finish(): void;
}

const EVERY_MS = 1000;

export function createProgress(
  label: string,
  total: { blobs: number; bytes: number },
  write: ((text: string) => void) | undefined,
  now: () => number = Date.now,
): Progress {
  const started = now();
  let blobs = 0;
  let bytes = 0;
  let shownAt = started;
  const show = () => {
    if (!write) return;
    shownAt = now();
    const seconds = Math.max((shownAt - started) / 1000, 0.001);
    const rate = (bytes / 1e6 / seconds).toFixed(1);
    write(`${label}: blobs ${blobs}/${total.blobs}, ${formatBytes(bytes)}/${formatBytes(total.bytes)}, ${rate} MB/s\n`);
  };
  return {
    blobDone(size) {
      blobs++;
      bytes += size;
      if (now() - shownAt >= EVERY_MS) show();
    },
    finish: show,
  };
}
