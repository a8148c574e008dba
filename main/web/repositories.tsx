/**
 * @module The repository list: the namespaces on the side, a search box, and one page of the
 * repositories the viewer may pull (visibility, tag count, size, last push) in the middle. An
 * empty list says why: nothing matches the search, nothing is visible without signing in, or
 * nothing has been pushed yet.
 */
import type { FC } from 'hono/jsx';
import type { RepositoryView } from '../accounts/repositories.js';
import { Alert, Badge, EmptyState, PageHead, Pager, Size, TimeAgo } from './components.js';
import type { RepositoryStats } from './repository-index.js';

export type RepositoryRow = RepositoryView & RepositoryStats;

export interface RepositoriesPageProps {
  host: string;
  signedIn: boolean;
  namespaces: string[];
  namespacesTruncated: boolean;
  /** The namespace the list is narrowed to, if any. */
  namespace?: string | undefined;
  /** The search term the list is narrowed to, if any. */
  search?: string | undefined;
  rows: RepositoryRow[];
  firstHref?: string | undefined;
  nextHref?: string | undefined;
  now: number;
}

export const repositoryHref = (fullName: string) => `/repositories/${fullName}`;
export const namespaceHref = (namespace?: string) => listHref(namespace);
/** The list, narrowed to a namespace and/or a search term. */
export function listHref(namespace?: string, search?: string): string {
  const query = new URLSearchParams({ ...(namespace && { namespace }), ...(search && { q: search }) }).toString();
  return query ? `/repositories?${query}` : '/repositories';
}

const NamespaceNav: FC<{ namespaces: string[]; current?: string | undefined; truncated: boolean }> = ({
  namespaces,
  current,
  truncated,
}) => (
  <nav class="card side-nav" aria-label="Namespaces">
    <h2>Namespaces</h2>
    <a href={namespaceHref()} aria-current={current === undefined ? 'page' : undefined}>
      All repositories
    </a>
    {namespaces.map((ns) => (
      <a href={namespaceHref(ns)} aria-current={current === ns ? 'page' : undefined}>
        {ns}
      </a>
    ))}
    {truncated && <span class="muted side-note">More namespaces not shown</span>}
  </nav>
);

const RepositoryName: FC<{ repo: RepositoryView }> = ({ repo }) => (
  <a href={repositoryHref(repo.fullName)}>
    {repo.namespace && <span class="muted">{repo.namespace}/</span>}
    <span class="repo-name">{repo.name}</span>
  </a>
);

const RepositoryTable: FC<{ rows: RepositoryRow[]; now: number }> = ({ rows, now }) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table">
      <thead>
        <tr>
          <th scope="col">Repository</th>
          <th scope="col">Visibility</th>
          <th scope="col" class="num">
            Tags
          </th>
          <th scope="col" class="num">
            Size
          </th>
          <th scope="col">Last pushed</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((repo) => (
          <tr>
            <td>
              <RepositoryName repo={repo} />
            </td>
            <td>
              <Badge kind={repo.visibility}>{repo.visibility}</Badge>
            </td>
            <td class="num">{repo.tagCount}</td>
            <td class="num">
              {!repo.sizeComplete && <span title="more blobs than were added up">≥ </span>}
              <Size bytes={repo.sizeBytes} />
            </td>
            <td class="muted">
              {repo.lastPushedAt !== undefined ? <TimeAgo at={repo.lastPushedAt} now={now} /> : 'never'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const SearchForm: FC<{ namespace?: string | undefined; search?: string | undefined }> = ({ namespace, search }) => (
  <form method="get" action="/repositories" aria-label="Search repositories" class="card-body search-form">
    {namespace && <input type="hidden" name="namespace" value={namespace} />}
    <label for="f-q" class="visually-hidden">
      Search repositories
    </label>
    <input id="f-q" type="search" name="q" value={search} placeholder="Search by name" maxlength={100} />
    <button type="submit" class="btn">
      Search
    </button>
  </form>
);

/** Why the list is empty, and what to do about it. */
const EmptyList: FC<RepositoriesPageProps> = (p) => {
  if (p.search !== undefined)
    return (
      <EmptyState title={`No repositories match "${p.search}"`}>
        <p class="muted">
          <a href={listHref(p.namespace)}>Show all{p.namespace ? ` of ${p.namespace}` : ''}</a>
        </p>
      </EmptyState>
    );
  if (!p.signedIn)
    return (
      <EmptyState title="Nothing public here">
        <p class="muted">
          <a href="/sign-in?next=%2Frepositories">Sign in</a> to see the repositories you have access to.
        </p>
      </EmptyState>
    );
  return (
    <EmptyState title="No repositories yet">
      <p class="muted">
        Push an image to create one, for example{' '}
        <code>
          docker push {p.host}/{p.namespace ?? 'team'}/app:1.0
        </code>
      </p>
    </EmptyState>
  );
};

export const RepositoriesPage: FC<RepositoriesPageProps> = (p) => (
  <>
    <PageHead
      title={p.namespace ?? 'Repositories'}
      subtitle={p.namespace ? `Repositories in the ${p.namespace} namespace` : `Images you can pull from ${p.host}`}
      crumbs={p.namespace ? [{ href: '/repositories', label: 'Repositories' }] : undefined}
    />
    {!p.signedIn && (
      <Alert kind="info">
        You are browsing public repositories. <a href="/sign-in">Sign in</a> to see the private ones you have access to.
      </Alert>
    )}
    <div class="layout-split">
      <NamespaceNav namespaces={p.namespaces} current={p.namespace} truncated={p.namespacesTruncated} />
      <section class="card" aria-label="Repositories">
        <SearchForm namespace={p.namespace} search={p.search} />
        {p.rows.length > 0 ? <RepositoryTable rows={p.rows} now={p.now} /> : <EmptyList {...p} />}
        <Pager first={p.firstHref} next={p.nextHref} summary={`${p.rows.length} shown`} />
      </section>
    </div>
  </>
);
