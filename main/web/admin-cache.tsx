/**
 * @module Administration: one content cache, with its status, the form to change its host,
 * upstream, region and networks, and the button to remove it.
 */
import type { FC } from 'hono/jsx';
import { AdminFrame } from './admin-frame.js';
import {
  CacheFields,
  HealthCell,
  NetworkList,
  cacheHref,
  formOf,
  type CacheForm,
  type CacheRow,
} from './admin-caches.js';
import { Alert, Card, PostForm, SubmitButton } from './components.js';
import { formatDate } from './format.js';
import { CacheNodesCard } from './admin-cache-nodes.js';
import { CacheUsageCard } from './admin-cache-usage.js';
import type { CacheUsageView } from '../caches/cache-usage-samples.js';

export interface AdminCachePageProps {
  cache: CacheRow;
  /** Its traffic over the last hour and day, for the group and each node. */
  usage: CacheUsageView;
  /** Caches that may be its upstream (every other one; the service refuses a cycle). */
  upstreams: string[];
  /** Caches that pull through this one (it cannot be removed while there are any). */
  dependants: string[];
  csrfToken: string;
  now: number;
  /** The edit form as sent, with why it was refused. */
  edit?: { form: CacheForm; error: string } | undefined;
  /** Why the removal was refused. */
  removeError?: string | undefined;
}

const CacheStatusCard: FC<{ cache: CacheRow; dependants: string[]; now: number }> = ({ cache, dependants, now }) => (
  <Card id="status" title="Status">
    <div class="card-body">
      <dl class="details">
        <dt>Host</dt>
        <dd>
          <code>{cache.host}</code>
        </dd>
        <dt>Region</dt>
        <dd>{cache.region ?? <span class="muted">not set</span>}</dd>
        <dt>Chain</dt>
        <dd class="chain">{cache.chain}</dd>
        <dt>Health</dt>
        <dd>
          <HealthCell status={cache.status} now={now} />
        </dd>
        <dt>Networks</dt>
        <dd>
          <NetworkList networks={cache.networks} />
        </dd>
        <dt>Redirects</dt>
        <dd>{cache.redirects.toLocaleString('en-US')} since main started</dd>
        <dt>Pulled through by</dt>
        <dd>{dependants.length > 0 ? dependants.join(', ') : <span class="muted">no other cache</span>}</dd>
        <dt>Added</dt>
        <dd>{formatDate(cache.createdAt)}</dd>
      </dl>
    </div>
  </Card>
);

export const AdminCachePage: FC<AdminCachePageProps> = (p) => (
  <AdminFrame
    tab="caches"
    title={p.cache.name}
    subtitle="Content cache"
    crumbs={[
      { href: '/admin/users', label: 'Administration' },
      { href: '/admin/caches', label: 'Content caches' },
    ]}
  >
    <CacheStatusCard cache={p.cache} dependants={p.dependants} now={p.now} />
    <CacheNodesCard nodes={p.cache.nodes} now={p.now} />
    <CacheUsageCard usage={p.usage} />
    <Card id="edit-cache" title="Change this cache">
      <div class="card-body">
        {p.edit && <Alert kind="error">{p.edit.error}</Alert>}
        <PostForm action={cacheHref(p.cache.name)} csrfToken={p.csrfToken} label="Change this cache">
          <CacheFields form={p.edit?.form ?? formOf(p.cache)} upstreams={p.upstreams} />
          <SubmitButton label="Save changes" />
        </PostForm>
      </div>
    </Card>
    <Card id="remove-cache" title="Remove this cache">
      <div class="card-body">
        {p.removeError && <Alert kind="error">{p.removeError}</Alert>}
        <p class="muted">
          Pulls are no longer redirected to it. Users and organizations that picked it fall back to the next rule: their
          organization's default, a network rule, or main.
        </p>
        <PostForm action={`${cacheHref(p.cache.name)}/remove`} csrfToken={p.csrfToken} label={`Remove ${p.cache.name}`}>
          <button type="submit" class="btn btn-danger">
            Remove {p.cache.name}
          </button>
        </PostForm>
      </div>
    </Card>
  </AdminFrame>
);
