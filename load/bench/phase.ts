/**
 * @module Times one measured step and watches the servers it exercises: wall-clock seconds,
 * peak RSS and CPU seconds of each watched process over exactly that window.
 *
 * A watched server may be several processes (nginx: a master and its workers): its CPU is the
 * sum over them, and its peak RSS the sum of each process's peak (an upper bound when the
 * peaks did not coincide; exact for a single process).
 */
import { readCpuSeconds } from './cpu.js';
import { startRssSampler, type RssPeak } from './rss.js';

export interface Watched {
  name: string;
  pid: number;
  /** Every process of the server (the pid and its children); default: the pid alone. */
  processIds?: () => Promise<number[]>;
}

export interface ProcessUsage {
  rss: RssPeak;
  /** CPU seconds the process used during the window; undefined if it vanished. */
  cpuSeconds: number | undefined;
}

export interface PhaseResult<T> {
  seconds: number;
  value: T;
  usage: Record<string, ProcessUsage>;
}

async function cpuOf(pids: readonly number[]): Promise<number | undefined> {
  const each = await Promise.all(pids.map((p) => readCpuSeconds(p)));
  return each.some((s) => s === undefined) ? undefined : each.reduce<number>((a, b) => a + b!, 0);
}

function sumPeaks(peaks: readonly RssPeak[]): RssPeak {
  if (peaks.length === 1) return peaks[0]!;
  return {
    peakMiB: peaks.reduce((a, p) => a + p.peakMiB, 0),
    polledPeakMiB: peaks.reduce((a, p) => a + p.polledPeakMiB, 0),
    hwmMiB: peaks.some((p) => p.hwmMiB === undefined) ? undefined : peaks.reduce((a, p) => a + p.hwmMiB!, 0),
    hwmReset: peaks.every((p) => p.hwmReset),
    samples: Math.min(...peaks.map((p) => p.samples)),
  };
}

/** Runs `step` while sampling every process in `watch`. Sampling stops even when `step` throws. */
export async function measurePhase<T>(watch: readonly Watched[], step: () => Promise<T>): Promise<PhaseResult<T>> {
  const pids = await Promise.all(watch.map((w) => (w.processIds ? w.processIds() : Promise.resolve([w.pid]))));
  const samplers = await Promise.all(pids.map((list) => Promise.all(list.map((pid) => startRssSampler(pid)))));
  const stopAll = () => Promise.all(samplers.map((list) => Promise.all(list.map((s) => s.stop()))));
  const cpuBefore = await Promise.all(pids.map(cpuOf));
  const started = process.hrtime.bigint();
  let value: T;
  try {
    value = await step();
  } catch (err) {
    await stopAll();
    throw err;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = await Promise.all(pids.map(cpuOf));
  const peaks = await stopAll();
  const usage: Record<string, ProcessUsage> = {};
  watch.forEach((w, i) => {
    const before = cpuBefore[i];
    const after = cpuAfter[i];
    usage[w.name] = {
      rss: sumPeaks(peaks[i]!),
      cpuSeconds: before !== undefined && after !== undefined ? after - before : undefined,
    };
  });
  return { seconds, value, usage };
}
