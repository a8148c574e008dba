/**
 * @module Administration: the edge nodes of one content cache (a group), each with its health as
 * main's probe (or the node's own heartbeat) last saw it, its disk use and its hit ratio.
 */
import type { FC } from 'hono/jsx';
import { Card } from './components.js';
import { HealthCell } from './admin-caches.js';
import type { NodeRow } from './content-cache-status.js';
import { formatBytes } from './format.js';

const Disk: FC<{ node: NodeRow }> = ({ node }) =>
  node.storeBytes === undefined ? (
    <span class="muted">not reported</span>
  ) : (
    <>
      {formatBytes(node.storeBytes)}
      {node.maxBytes !== undefined && <span class="muted"> of {formatBytes(node.maxBytes)}</span>}
    </>
  );

export const CacheNodesCard: FC<{ nodes: NodeRow[]; now: number }> = ({ nodes, now }) => (
  <Card id="nodes" title={`Nodes (${nodes.length})`}>
    <div class="card-body">
      <p class="muted">
        Each blob goes to one node of the group, chosen from its digest among the nodes that are up: a node that goes
        down hands only its share to the others.
      </p>
      <div class="table-scroll" tabindex={0}>
        <table class="table table-compact">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Health</th>
              <th scope="col">Disk</th>
              <th scope="col" class="num">
                Hit ratio
              </th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((node) => (
              <tr>
                <td>
                  <span class="repo-name">{node.id}</span>
                  <span class="host" title={node.host}>
                    {node.host}
                  </span>
                </td>
                <td>
                  <HealthCell status={node.status} now={now} />
                </td>
                <td class="nowrap">
                  <Disk node={node} />
                </td>
                <td class="num">
                  {node.hitRatio === undefined ? (
                    <span class="muted">no pulls yet</span>
                  ) : (
                    `${(node.hitRatio * 100).toFixed(1)}%`
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  </Card>
);
