/**
 * @module One repository: how to pull it, its details, its tags (digest, size, pushed date
 * and a copyable pull command each) and its activity log.
 */
import type { FC } from 'hono/jsx';
import type { EventView, RepositoryView, TagView } from '../accounts/repositories.js';
import {
  Badge,
  Card,
  Checkbox,
  CopyCommand,
  EmptyState,
  PageHead,
  Pager,
  PostForm,
  SelectField,
  ShortDigest,
  Size,
  SubmitButton,
  TimeAgo,
} from './components.js';
import type { PullSource } from '../caches/redirects.js';
import { PullSourceNote } from './pull-source.js';
import { formatBytes, formatDate } from './format.js';
import { tagHref } from './tag-page.js';
import { namespaceHref } from './repositories.js';

export interface RepositoryPageProps {
  host: string;
  repo: RepositoryView;
  tags: TagView[];
  tagCount: number;
  firstHref?: string | undefined;
  nextHref?: string | undefined;
  events: EventView[];
  now: number;
  /** Set when the viewer administers the repository: the settings form is shown. */
  settingsCsrfToken?: string | undefined;
  /** Where the viewer's pulls fetch layers from. */
  pullSource: PullSource;
  signedIn: boolean;
}

const pullCommand = (host: string, repo: string, tag?: string) => `docker pull ${host}/${repo}${tag ? `:${tag}` : ''}`;

/** The tag people mean when they give none, else the first listed. */
function defaultTag(tags: TagView[]): string | undefined {
  return tags.find((t) => t.name === 'latest')?.name ?? tags[0]?.name;
}

const platformSizesTitle = (tag: TagView) =>
  (tag.platforms ?? []).map((p) => `${p.platform}: ${formatBytes(p.compressedSize)}`).join(', ');

const TagTable: FC<{ host: string; repo: string; tags: TagView[]; now: number }> = ({ host, repo, tags, now }) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table">
      <thead>
        <tr>
          <th scope="col">Tag</th>
          <th scope="col">Digest</th>
          <th scope="col" class="num">
            Size
          </th>
          <th scope="col">Pushed</th>
          <th scope="col">Pull command</th>
        </tr>
      </thead>
      <tbody>
        {tags.map((tag) => (
          <tr>
            <td>
              <a href={tagHref(repo, tag.name)}>
                <code class="repo-name">{tag.name}</code>
              </a>
            </td>
            <td>
              <ShortDigest digest={tag.digest} />
            </td>
            <td class="num">
              <Size bytes={tag.layersSize > 0 ? tag.layersSize : tag.manifestSize} />
              {tag.platforms && tag.platforms.length > 1 && (
                <span class="muted" title={platformSizesTitle(tag)}>
                  {' '}
                  largest of {tag.platforms.length} platforms
                </span>
              )}
            </td>
            <td class="nowrap muted">
              <TimeAgo at={Date.parse(tag.pushedAt)} now={now} />
            </td>
            <td>
              <CopyCommand
                command={pullCommand(host, repo, tag.name)}
                label={`Copy the pull command for ${tag.name}`}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const EVENT_TEXT: Record<EventView['type'], string> = {
  create: 'created the repository',
  push: 'pushed',
  tag: 'moved the tag',
  untag: 'removed the tag',
  delete: 'deleted the manifest',
  settings: 'changed the settings',
  prune: 'pruned the tag',
};

const EventDescription: FC<{ event: EventView }> = ({ event }) => (
  <>
    <strong>{event.actor}</strong> {/* A prune event without a tag is a manifest the run left untagged and deleted. */}
    {event.type === 'prune' && !event.tag ? 'pruned the untagged manifest' : EVENT_TEXT[event.type]}
    {event.tag && (
      <>
        {' '}
        <code>{event.tag}</code>
      </>
    )}
    {event.digest && (
      <>
        {' '}
        <ShortDigest digest={event.digest} />
      </>
    )}
  </>
);

const ActivityLog: FC<{ events: EventView[]; now: number }> = ({ events, now }) => (
  <Card id="activity" title="Activity" hint="Most recent first">
    {events.length > 0 ? (
      <div class="table-scroll" tabindex={0}>
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr>
                <td>
                  <EventDescription event={event} />
                </td>
                <td class="nowrap muted">
                  <TimeAgo at={Date.parse(event.at)} now={now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <EmptyState title="No activity recorded yet" />
    )}
  </Card>
);

export const repositorySettingsHref = (fullName: string) => `/repositories/${fullName}/settings`;

const RepositorySettings: FC<{ repo: RepositoryView; csrfToken: string }> = ({ repo, csrfToken }) => (
  <Card id="settings" title="Settings" hint="Shown to the repository's administrators">
    <div class="card-body">
      <PostForm action={repositorySettingsHref(repo.fullName)} csrfToken={csrfToken} label="Repository settings">
        <fieldset class="field">
          <legend>Visibility</legend>
          <div class="check">
            <input
              type="radio"
              id="visibility-private"
              name="visibility"
              value="private"
              checked={repo.visibility === 'private'}
            />
            <label for="visibility-private">
              Private<span class="help">Only people with access to the namespace may pull.</span>
            </label>
          </div>
          <div class="check">
            <input
              type="radio"
              id="visibility-public"
              name="visibility"
              value="public"
              checked={repo.visibility === 'public'}
            />
            <label for="visibility-public">
              Public
              <span class="help">
                Everyone signed in may pull, and anonymous clients too when the registry allows anonymous pulls.
              </span>
            </label>
          </div>
        </fieldset>
        <Checkbox
          label="Immutable tags"
          name="immutableTags"
          checked={repo.immutableTags}
          help="A pushed tag can never be moved to another image or deleted (nor can the image it points to); deleting the whole repository still removes everything."
        />
        <SelectField
          label="Refuse pulls of images with vulnerabilities"
          name="blockPullsAtSeverity"
          value={repo.blockPullsAtSeverity}
          options={[
            { value: 'none', label: 'Never (allow every pull)' },
            { value: 'critical', label: 'Critical' },
            { value: 'high', label: 'High or critical' },
            { value: 'medium', label: 'Medium or worse' },
            { value: 'low', label: 'Low or worse' },
          ]}
          help="Judged on the image's last scan; images not scanned yet can be pulled."
        />
        <SubmitButton label="Save settings" />
      </PostForm>
      <p>
        <a href={`/repositories/${repo.fullName}/pruning`}>Pruning policy and dry run</a>: delete old or unused tags.
      </p>
    </div>
  </Card>
);

export const RepositoryPage: FC<RepositoryPageProps> = (p) => {
  const { repo } = p;
  const crumbs = [
    { href: '/repositories', label: 'Repositories' },
    ...(repo.namespace ? [{ href: namespaceHref(repo.namespace), label: repo.namespace }] : []),
  ];
  return (
    <>
      <PageHead
        title={repo.fullName}
        crumbs={crumbs}
        badges={
          <>
            <Badge kind={repo.visibility}>{repo.visibility}</Badge>
            {repo.immutableTags && <Badge kind="neutral">immutable tags</Badge>}
          </>
        }
      />
      <div class="stack">
        <div class="grid-2 equal">
          <Card id="pull" title="Pull this image">
            <div class="card-body">
              <CopyCommand
                command={pullCommand(p.host, repo.fullName, defaultTag(p.tags))}
                large
                label="Copy the pull command"
              />
              <PullSourceNote source={p.pullSource} signedIn={p.signedIn} />
            </div>
          </Card>
          <Card id="about" title="About">
            <div class="card-body">
              <dl class="details">
                <dt>Namespace</dt>
                <dd>{repo.namespace ? `${repo.namespace} (${repo.namespaceType})` : 'none (top level)'}</dd>
                <dt>Tags</dt>
                <dd>{p.tagCount}</dd>
                <dt>Created</dt>
                <dd>{formatDate(Date.parse(repo.createdAt))}</dd>
              </dl>
            </div>
          </Card>
        </div>
        <Card id="tags" title="Tags" hint="Sizes are the compressed layers a pull of one platform downloads">
          {p.tags.length > 0 ? (
            <TagTable host={p.host} repo={repo.fullName} tags={p.tags} now={p.now} />
          ) : (
            <EmptyState title="No tags yet">
              <p class="muted">
                Push one with{' '}
                <code>
                  docker push {p.host}/{repo.fullName}:1.0
                </code>
              </p>
            </EmptyState>
          )}
          <Pager first={p.firstHref} next={p.nextHref} summary={`${p.tags.length} of ${p.tagCount} tags shown`} />
        </Card>
        <ActivityLog events={p.events} now={p.now} />
        {p.settingsCsrfToken && <RepositorySettings repo={repo} csrfToken={p.settingsCsrfToken} />}
      </div>
    </>
  );
};
