/**
 * @module Turns scenario results into the markdown table printed at the end of a run and the
 * JSON file written to load/results/ (same figures, plus every raw sample).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenarioResult } from './scenario.js';
import { formatRatio, formatSummary, ratio, summarize } from './stats.js';

export interface ScenarioReport {
  name: string;
  title: string;
  reps: number;
  result: ScenarioResult;
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: Record<string, string | number>;
  scenarios: ScenarioReport[];
}

/** One markdown section per scenario: a table with `median (min–max)` per peer and the ratios. */
export function renderMarkdown(report: RunReport): string {
  const out: string[] = [];
  for (const { name, title, reps, result } of report.scenarios) {
    const [subject, ...others] = result.peers;
    out.push(`### ${name}: ${title}`, '');
    const params = Object.entries(result.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    out.push(
      `${reps} repetitions, median (min–max); ratio = ${subject} / peer, ` +
        `medians.${params ? ` Params: ${params}.` : ''}`,
      '',
    );
    const header = ['metric', ...result.peers, ...others.map((o) => `${subject} / ${o}`)];
    out.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const metric of result.metrics) {
      const summaries = result.peers.map((p) => summarize(metric.samples[p] ?? []));
      const ratios = others.map((_, i) => formatRatio(ratio(summaries[0]!.median, summaries[i + 1]!.median)));
      const label = `${metric.label}${metric.better === 'higher' ? ' ↑' : ''}`;
      out.push(`| ${[label, ...summaries.map(formatSummary), ...ratios].join(' | ')} |`);
    }
    if (result.notes.length) out.push('', ...result.notes.map((n) => `- ${n}`));
    out.push('');
  }
  return out.join('\n');
}

/** Machine-readable twin of the table: medians, spreads, ratios and raw samples. */
export function toJson(report: RunReport): unknown {
  return {
    ...report,
    scenarios: report.scenarios.map(({ name, title, reps, result }) => {
      const [subject, ...others] = result.peers;
      return {
        name,
        title,
        reps,
        peers: result.peers,
        params: result.params,
        notes: result.notes,
        metrics: result.metrics.map((m) => {
          const summaries = Object.fromEntries(result.peers.map((p) => [p, summarize(m.samples[p] ?? [])]));
          return {
            label: m.label,
            better: m.better,
            summaries,
            ratios: Object.fromEntries(
              others.map((o) => [
                `${subject} / ${o}`,
                ratio(summaries[subject!]!.median, summaries[o]!.median) ?? null,
              ]),
            ),
            samples: m.samples,
          };
        }),
      };
    }),
  };
}

/** Writes `<dir>/<timestamp>.json` and returns its path. */
export async function writeJsonReport(dir: string, report: RunReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(path, `${JSON.stringify(toJson(report), null, 2)}\n`);
  return path;
}
