/**
 * @module What a benchmark scenario is: a named module that starts what it needs, measures
 * the subject (outpost) and its peers in the same run, and returns per-repetition samples.
 *
 * A new scenario is a file in scenarios/ exporting a `Scenario`, listed in scenarios/index.ts.
 * It receives everything it may use through `ScenarioContext` (no globals): its own work
 * directory, the repetition count, free-form `--param key=value` pairs, the run's `Cleanup`
 * (register every process and file it creates), and the abort signal (Ctrl-C, run deadline).
 */
import type { Cleanup } from './cleanup.js';
import type { Requirement } from './processes.js';

export interface ScenarioContext {
  /** A directory of its own, inside the run's temp dir (removed at the end of the run). */
  workDir: string;
  /** Repetitions asked for with `--reps` (each peer is measured once per repetition). */
  reps: number;
  /** `--param key=value` pairs, unparsed; see `Scenario.params` for what each scenario reads. */
  params: Readonly<Record<string, string>>;
  cleanup: Cleanup;
  /** The outpost CLI to measure (`dist/bin/outpost.js`, or `--outpost <file>`). */
  outpostBin: string;
  /** Aborted on Ctrl-C or when the run's deadline passes: stop at the next step. */
  signal: AbortSignal;
  /** Progress lines (to stderr); the results go in the returned value. */
  log(message: string): void;
}

export interface Metric {
  /** Row label, unit included: "push, skopeo (s)". */
  label: string;
  /** Which direction is good, for the reader of the ratio column. */
  better: 'lower' | 'higher';
  /** One sample per repetition for each peer (keys are `ScenarioResult.peers`). */
  samples: Record<string, number[]>;
}

export interface ScenarioResult {
  /** Column order; the first is the subject, every ratio is `subject / peer`. */
  peers: string[];
  metrics: Metric[];
  /** Parameters actually used (defaults included), echoed into the report. */
  params: Record<string, string | number>;
  /** Free-text lines printed under the table (versions, caveats). */
  notes: string[];
}

export interface Scenario {
  /** What `--only` selects: kebab-case, as the file name. */
  name: string;
  /** One line for the report heading and `--list`. */
  title: string;
  /** Executables it needs besides node and the built project. */
  requires: readonly Requirement[];
  /** The `--param` keys it reads, with their meaning and default. */
  params: Readonly<Record<string, string>>;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

/** A positive number `--param`, or `fallback` when absent; throws on anything else. */
export function numberParam(params: Readonly<Record<string, string>>, key: string, fallback: number): number {
  const raw = params[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--param ${key}: expected a positive number, got "${raw}"`);
  return value;
}

/** Collects samples metric by metric, peer by peer, in the order metrics are first recorded. */
export class SampleTable {
  readonly #metrics = new Map<string, Metric>();
  constructor(readonly peers: readonly string[]) {}

  /** Fixes a row's place (rows not declared follow, in the order first recorded). */
  declare(label: string, better: Metric['better'] = 'lower'): void {
    if (!this.#metrics.has(label))
      this.#metrics.set(label, {
        label,
        better,
        samples: Object.fromEntries(this.peers.map((p) => [p, [] as number[]])),
      });
  }

  record(label: string, peer: string, value: number, better: Metric['better'] = 'lower'): void {
    this.declare(label, better);
    const metric = this.#metrics.get(label)!;
    (metric.samples[peer] ??= []).push(value);
  }

  /** The rows that received at least one sample. */
  metrics(): Metric[] {
    return [...this.#metrics.values()].filter((m) => Object.values(m.samples).some((v) => v.length > 0));
  }
}
