/**
 * @module Administration: the content caches (edges main redirects pulls to), each with its
 * host, region, chain, health, networks and redirect count, and the form to add one. The
 * fields shared with the edit form of one cache (admin-cache.tsx) are here too.
 */
import type { FC, PropsWithChildren } from 'hono/jsx';
import { AdminFrame } from './admin-frame.js';
import {
  Alert,
  Card,
  EmptyState,
  Field,
  PostForm,
  SelectField,
  SubmitButton,
  TextAreaField,
  TimeAgo,
} from './components.js';
import { HealthBadge } from './content-cache-section.js';
import { formatDate } from './format.js';
import type { CacheStatus, NodeRow } from './content-cache-status.js';

/** A cache as the administration pages show it. */
export interface CacheRow {
  name: string;
  host: string;
  region?: string | undefined;
  upstream?: string | undefined;
  /** `asia → eu → main`. */
  chain: string;
  status: CacheStatus;
  networks: string[];
  redirects: number;
  createdAt: number;
  /** The group's edge nodes (one, at `host`, for a cache no edge joined with a node id). */
  nodes: NodeRow[];
}

/** The add and edit forms' fields as typed (kept when a save is refused). */
export interface CacheForm {
  name: string;
  host: string;
  upstream: string;
  region: string;
  /** One CIDR per line. */
  networks: string;
}

export interface AdminCachesPageProps {
  caches: CacheRow[];
  csrfToken: string;
  now: number;
  form?: CacheForm | undefined;
  error?: string | undefined;
}

export const cacheHref = (name: string) => `/admin/caches/${encodeURIComponent(name)}`;

export const formOf = (cache: CacheRow): CacheForm => ({
  name: cache.name,
  host: cache.host,
  upstream: cache.upstream ?? '',
  region: cache.region ?? '',
  networks: cache.networks.join('\n'),
});

/** Up or down, since when, when main's probe last checked, and its last error. */
export const HealthCell: FC<{ status: CacheStatus; now: number }> = ({ status, now }) => (
  <>
    <HealthBadge state={status.state} />
    {status.since !== undefined && (
      <span class="health-note">
        since <time datetime={new Date(status.since).toISOString()}>{formatDate(status.since)}</time>
      </span>
    )}
    {status.checkedAt !== undefined && (
      <span class="health-note">
        checked <TimeAgo at={status.checkedAt} now={now} />
      </span>
    )}
    {status.lastError && <span class="health-error">{status.lastError}</span>}
  </>
);

export const NetworkList: FC<{ networks: string[] }> = ({ networks }) =>
  networks.length > 0 ? (
    <ul class="net-list">
      {networks.map((network) => (
        <li>{network}</li>
      ))}
    </ul>
  ) : (
    <span class="muted">none</span>
  );

/**
 * Host, upstream, region and networks: the fields of both the add and the edit form. `children`
 * (the add form's name field) go on the host's row.
 */
export const CacheFields: FC<PropsWithChildren<{ form?: CacheForm | undefined; upstreams: string[] }>> = ({
  form,
  upstreams,
  children,
}) => (
  <>
    <div class="form-row">
      {children}
      <Field
        label="Host"
        name="host"
        value={form?.host}
        required
        autocomplete="off"
        placeholder="https://eu.registry.example.com"
        help="The edge's public URL: where clients are redirected"
      />
    </div>
    <div class="form-row">
      <SelectField
        label="Upstream"
        name="upstream"
        value={form?.upstream}
        options={[
          { value: '', label: 'main (pull straight from main)' },
          ...upstreams.map((name) => ({ value: name, label: name })),
        ]}
        help="Where this cache fetches what it does not hold"
      />
      <Field
        label="Region"
        name="region"
        value={form?.region}
        autocomplete="off"
        maxlength={100}
        placeholder="eu-west-1"
        help="Optional; shown to users when they pick a cache"
      />
    </div>
    <TextAreaField
      label="Networks"
      name="networks"
      value={form?.networks}
      help={
        'Optional; one CIDR per line, such as 10.1.0.0/16. Users with no cache of their own or of their ' +
        'organization who pull from these networks are sent here.'
      }
    />
  </>
);

const upNodes = (cache: CacheRow) => cache.nodes.filter((node) => node.status.state !== 'down').length;

const CacheTable: FC<{ caches: CacheRow[]; now: number }> = ({ caches, now }) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table table-compact">
      <thead>
        <tr>
          <th scope="col">Cache</th>
          <th scope="col">Region</th>
          <th scope="col">Chain</th>
          <th scope="col">Health</th>
          <th scope="col">Networks</th>
          <th scope="col" class="num">
            Redirects
          </th>
        </tr>
      </thead>
      <tbody>
        {caches.map((cache) => (
          <tr>
            <td>
              <a class="repo-name" href={cacheHref(cache.name)}>
                {cache.name}
              </a>
              <span class="host" title={cache.host}>
                {cache.nodes.length > 1 ? `${cache.nodes.length} nodes, ${upNodes(cache)} up` : cache.host}
              </span>
            </td>
            <td class="nowrap">{cache.region ?? <span class="muted">not set</span>}</td>
            <td class="chain">{cache.chain}</td>
            <td>
              <HealthCell status={cache.status} now={now} />
            </td>
            <td>
              <NetworkList networks={cache.networks} />
            </td>
            <td class="num">{cache.redirects.toLocaleString('en-US')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export const AdminCachesPage: FC<AdminCachesPageProps> = (p) => (
  <AdminFrame tab="caches" title="Content caches" subtitle="Edges that main redirects layer downloads to">
    <section class="card" aria-label="Content caches">
      {p.caches.length > 0 ? (
        <CacheTable caches={p.caches} now={p.now} />
      ) : (
        <EmptyState title="No content caches yet">
          <p class="muted">Add an edge below; users can then pick it on their profile page.</p>
        </EmptyState>
      )}
    </section>
    <Card id="new-cache" title="Add a cache">
      <div class="card-body">
        {p.error && <Alert kind="error">{p.error}</Alert>}
        <PostForm action="/admin/caches" csrfToken={p.csrfToken} label="Add a cache">
          <CacheFields form={p.form} upstreams={p.caches.map((cache) => cache.name)}>
            <Field
              label="Name"
              name="name"
              value={p.form?.name}
              required
              autocomplete="off"
              maxlength={63}
              help="Lowercase letters, digits and dashes"
            />
          </CacheFields>
          <SubmitButton label="Add cache" />
        </PostForm>
      </div>
    </Card>
  </AdminFrame>
);
