/**
 * @module Times one measured step and watches the servers it exercises: wall-clock seconds,
 * peak RSS and CPU seconds of each watched process over exactly that window.
 */
import { readCpuSeconds } from './cpu.js';
import { startRssSampler, type RssPeak } from './rss.js';

export interface Watched {
  name: string;
  pid: number;
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

/** Runs `step` while sampling every process in `watch`. Sampling stops even when `step` throws. */
export async function measurePhase<T>(watch: readonly Watched[], step: () => Promise<T>): Promise<PhaseResult<T>> {
  const samplers = await Promise.all(watch.map((w) => startRssSampler(w.pid)));
  const cpuBefore = await Promise.all(watch.map((w) => readCpuSeconds(w.pid)));
  const started = process.hrtime.bigint();
  let value: T;
  try {
    value = await step();
  } catch (err) {
    await Promise.all(samplers.map((s) => s.stop()));
    throw err;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = await Promise.all(watch.map((w) => readCpuSeconds(w.pid)));
  const peaks = await Promise.all(samplers.map((s) => s.stop()));
  const usage: Record<string, ProcessUsage> = {};
  watch.forEach((w, i) => {
    const before = cpuBefore[i];
    const after = cpuAfter[i];
    usage[w.name] = { rss: peaks[i]!, cpuSeconds: before !== undefined && after !== undefined ? after - before : undefined };
  });
  return { seconds, value, usage };
}
