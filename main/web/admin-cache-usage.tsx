/**
 * @module Administration: what a content cache did over the last hour and the last day (from its
 * nodes' heartbeat samples, main/caches/cache-usage-windows.ts): for the group and per node, hit
 * ratio, bytes served and fetched from upstream, disk used of capacity, blobs, evictions and the
 * redirects main sent, and the day as a chart.
 */
import type { FC } from 'hono/jsx';
import type { CacheUsageView } from '../caches/cache-usage-samples.js';
import type { CacheUsage, UsageWindow } from '../caches/cache-usage-windows.js';
import { Card, TableHead } from './components.js';
import { formatBytes } from './format.js';
import { UsageChart, percent } from './usage-chart.js';

const count = (n: number) => n.toLocaleString('en-US');

const ROWS: { label: string; show: (w: UsageWindow) => string }[] = [
  { label: 'Hit ratio', show: (w) => percent(w.hitRatio) },
  { label: 'Hits', show: (w) => count(w.hits) },
  { label: 'Misses', show: (w) => count(w.misses) },
  { label: 'Served to clients', show: (w) => formatBytes(w.servedBytes) },
  { label: 'Fetched from upstream', show: (w) => formatBytes(w.upstreamBytes) },
  { label: 'Evictions', show: (w) => count(w.evictions) },
  { label: 'Redirects received', show: (w) => count(w.redirects) },
];

// The per-node table's figure columns, aligned with their figures.
const NODE_FIGURES = ['Hit ratio', 'Served', 'Fetched', 'Blobs', 'Evictions', 'Redirects'];

const Disk: FC<{ usage: CacheUsage }> = ({ usage }) =>
  usage.store ? (
    <>
      {formatBytes(usage.store.bytes)} <span class="muted">of {formatBytes(usage.store.maxBytes)}</span>
    </>
  ) : (
    <span class="muted">not reported</span>
  );

const GroupFigures: FC<{ usage: CacheUsage }> = ({ usage }) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table table-compact" id="usage-group">
      <caption class="visually-hidden">All nodes: the last hour and the last day</caption>
      <TableHead columns={['All nodes', 'Last hour', 'Last day']} numeric={['Last hour', 'Last day']} />
      <tbody>
        {ROWS.map((row) => (
          <tr>
            <th scope="row">{row.label}</th>
            <td class="num">{row.show(usage.lastHour)}</td>
            <td class="num">{row.show(usage.lastDay)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const NodeFigures: FC<{ nodes: CacheUsageView['nodes'] }> = ({ nodes }) => (
  <>
    <p class="card-body muted">Each node: the last hour / the last day.</p>
    <div class="table-scroll" tabindex={0}>
      <table class="table table-compact" id="usage-nodes">
        <caption class="visually-hidden">Each node: the last hour, then the last day</caption>
        <TableHead columns={['Node', ...NODE_FIGURES]} numeric={NODE_FIGURES} />
        <tbody>
          {nodes.map((node) => (
            <tr>
              <th scope="row">{node.id}</th>
              <td class="num">
                {percent(node.lastHour.hitRatio)} / {percent(node.lastDay.hitRatio)}
              </td>
              <td class="num">
                {formatBytes(node.lastHour.servedBytes)} / {formatBytes(node.lastDay.servedBytes)}
              </td>
              <td class="num">
                {formatBytes(node.lastHour.upstreamBytes)} / {formatBytes(node.lastDay.upstreamBytes)}
              </td>
              <td class="num">{node.store ? count(node.store.blobs) : '—'}</td>
              <td class="num">
                {count(node.lastHour.evictions)} / {count(node.lastDay.evictions)}
              </td>
              <td class="num">
                {count(node.lastHour.redirects)} / {count(node.lastDay.redirects)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  </>
);

export const CacheUsageCard: FC<{ usage: CacheUsageView }> = ({ usage }) => (
  <Card id="usage" title="Usage">
    <div class="card-body">
      <p class="muted">
        From the nodes' heartbeats, sampled once a minute. Redirects are those main sent to the node; a node that
        restarted counts from zero again.
      </p>
      <dl class="details">
        <dt>Disk used</dt>
        <dd>
          <Disk usage={usage} />
        </dd>
        <dt>Blobs</dt>
        <dd>{usage.store ? count(usage.store.blobs) : <span class="muted">not reported</span>}</dd>
      </dl>
    </div>
    <GroupFigures usage={usage} />
    <div class="card-body">
      <UsageChart id="usage-chart" points={usage.hourly} />
    </div>
    <NodeFigures nodes={usage.nodes} />
  </Card>
);
