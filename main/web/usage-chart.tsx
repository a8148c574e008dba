/**
 * @module A cache's last 24 hours as a small server-rendered SVG (no script): bytes served per
 * hour as bars, the hour's hit ratio as a line over them. It scales to its box (viewBox), so it
 * never widens a narrow page. Screen readers get a summary (`role="img"`, title and description)
 * and the same figures as a visually hidden table.
 */
import type { FC } from 'hono/jsx';
import type { UsagePoint } from '../caches/cache-usage-windows.js';
import { formatBytes } from './format.js';

const WIDTH = 720;
const HEIGHT = 180;
const PAD = { left: 64, right: 48, top: 14, bottom: 26 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

export const percent = (ratio: number | undefined): string =>
  ratio === undefined ? 'no pulls' : `${(ratio * 100).toFixed(1)}%`;

/** `14:05`: the hour's start in UTC, as the pages' dates are. */
const hourLabel = (at: number) => new Date(at).toISOString().slice(11, 16);

/** The summary a screen reader hears for the chart. */
export function chartSummary(points: readonly UsagePoint[]): string {
  const served = points.reduce((sum, p) => sum + p.servedBytes, 0);
  if (served === 0 && points.every((p) => p.hitRatio === undefined)) return 'No pulls in the last 24 hours.';
  const peak = points.reduce((best, p) => (p.servedBytes > best.servedBytes ? p : best), points[0]!);
  const ratios = points.flatMap((p) => (p.hitRatio === undefined ? [] : [p.hitRatio]));
  return (
    `${formatBytes(served)} served in the last 24 hours, most in the hour from ${hourLabel(peak.start)} UTC ` +
    `(${formatBytes(peak.servedBytes)}). Hourly hit ratio between ${percent(Math.min(...ratios))} and ` +
    `${percent(Math.max(...ratios))}.`
  );
}

/** The hit-ratio line, one segment per run of hours that had pulls. */
function ratioSegments(points: readonly UsagePoint[], x: (i: number) => number): string[] {
  const segments: string[][] = [[]];
  points.forEach((p, i) => {
    if (p.hitRatio === undefined) segments.push([]);
    else segments.at(-1)!.push(`${x(i).toFixed(1)},${(PAD.top + PLOT_H * (1 - p.hitRatio)).toFixed(1)}`);
  });
  return segments.filter((s) => s.length > 0).map((s) => (s.length === 1 ? [s[0]!, s[0]!] : s).join(' '));
}

export const UsageChart: FC<{ id: string; points: UsagePoint[] }> = ({ id, points }) => {
  const maxServed = Math.max(1, ...points.map((p) => p.servedBytes));
  const slot = PLOT_W / points.length;
  const x = (i: number) => PAD.left + slot * (i + 0.5);
  return (
    <figure class="usage-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${id}-title`}>Bytes served and hit ratio per hour, last 24 hours</title>
        <desc id={`${id}-desc`}>{chartSummary(points)}</desc>
        <line
          class="chart-axis"
          x1={PAD.left}
          x2={WIDTH - PAD.right}
          y1={HEIGHT - PAD.bottom}
          y2={HEIGHT - PAD.bottom}
        />
        {points.map((p, i) => {
          const h = (PLOT_H * p.servedBytes) / maxServed;
          return (
            <rect
              class="chart-bar"
              x={(PAD.left + slot * i + 2).toFixed(1)}
              y={(HEIGHT - PAD.bottom - h).toFixed(1)}
              width={(slot - 4).toFixed(1)}
              height={h.toFixed(1)}
            />
          );
        })}
        {ratioSegments(points, x).map((line) => (
          <polyline class="chart-line" points={line} />
        ))}
        <text class="chart-label" x={PAD.left - 6} y={PAD.top + 8} text-anchor="end">
          {formatBytes(maxServed)}
        </text>
        <text class="chart-label" x={WIDTH - PAD.right + 6} y={PAD.top + 8}>
          100%
        </text>
        <text class="chart-label" x={WIDTH - PAD.right + 6} y={HEIGHT - PAD.bottom}>
          0%
        </text>
        <text class="chart-label" x={PAD.left} y={HEIGHT - 6}>
          24 h ago
        </text>
        <text class="chart-label" x={WIDTH - PAD.right} y={HEIGHT - 6} text-anchor="end">
          now
        </text>
      </svg>
      <figcaption class="chart-legend">
        <span class="legend-bar">Bars: bytes served per hour</span>
        <span class="legend-line">Line: hit ratio (right axis)</span>
      </figcaption>
      <div class="visually-hidden">
        <table>
          <caption>Bytes served and hit ratio per hour (UTC)</caption>
          <thead>
            <tr>
              <th scope="col">Hour</th>
              <th scope="col">Served</th>
              <th scope="col">Hit ratio</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr>
                <th scope="row">{hourLabel(p.start)}</th>
                <td>{formatBytes(p.servedBytes)}</td>
                <td>{percent(p.hitRatio)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
};
