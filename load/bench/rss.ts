/**
 * @module Peak resident memory of a process during a measurement, read from Linux's /proc.
 *
 * Two sources, because each alone can mislead: polling `VmRSS` every ~100 ms can miss a short
 * spike, and `VmHWM` (the kernel's high-water mark) covers the process's whole life unless it
 * is reset, which writing `5` to `/proc/<pid>/clear_refs` does (Linux 4.0+, own processes).
 * The reported peak is the larger of the two when the reset worked, the polled one otherwise.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { MiB } from './stats.js';

export interface RssPeak {
  /** Best estimate of the peak resident set during the window, in MiB. */
  peakMiB: number;
  /** Largest `VmRSS` seen by polling, in MiB. */
  polledPeakMiB: number;
  /** `VmHWM` at the end of the window, in MiB (whole-life peak when `hwmReset` is false). */
  hwmMiB: number | undefined;
  /** Whether the high-water mark was reset at the start of the window. */
  hwmReset: boolean;
  /** How many polls read a value. */
  samples: number;
}

export interface RssSampler {
  /** Stops polling and returns the peak seen since the sampler started. */
  stop(): Promise<RssPeak>;
}

/** Reads a `kB` field such as `VmRSS` from `/proc/<pid>/status`, in bytes; undefined when gone. */
export async function readStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Resets the process's `VmHWM` to its current RSS; false when the kernel refused. */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssSamplerOptions {
  /** Poll interval. Default 100 ms. */
  intervalMs?: number;
  /** Polling stops by itself after this long, whatever happens. Default 1 h. */
  maxDurationMs?: number;
}

/** Starts polling `pid`; the high-water mark is reset first. */
export async function startRssSampler(pid: number, options: RssSamplerOptions = {}): Promise<RssSampler> {
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + (options.maxDurationMs ?? 3_600_000);
  const hwmReset = await resetPeakRss(pid);
  let polledPeak = 0;
  let samples = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const poll = async () => {
    const rss = await readStatusBytes(pid, 'VmRSS');
    if (rss !== undefined) {
      polledPeak = Math.max(polledPeak, rss);
      samples++;
    }
  };
  // One read at a time; the next is scheduled only after the previous one finished.
  const schedule = () => {
    if (stopped || Date.now() > deadline) return;
    timer = setTimeout(() => {
      inFlight = poll().then(schedule);
    }, intervalMs);
  };
  await poll();
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      await poll();
      const hwm = await readStatusBytes(pid, 'VmHWM');
      const peak = hwmReset && hwm !== undefined ? Math.max(hwm, polledPeak) : polledPeak;
      return {
        peakMiB: peak / MiB,
        polledPeakMiB: polledPeak / MiB,
        hwmMiB: hwm === undefined ? undefined : hwm / MiB,
        hwmReset,
        samples,
      };
    },
  };
}
