/**
 * @module One tag (or manifest) of a repository: a platform picker (plain links), the pull-by-digest
 * command, the image's settings, its history as Dockerfile-like lines with the layers they made and
 * their sizes, and the referrers (signatures, SBOMs) attached. Artifacts are shown as artifacts.
 */
import type { FC } from 'hono/jsx';
import type { RepositoryView } from '../accounts/repositories.js';
import type { ArtifactView, ImageView, ReferrerView } from '../images/image-details.js';
import type { TagDetails } from '../images/images.js';
import { platformName } from '../images/platforms.js';
import { Alert, Badge, Card, CopyCommand, EmptyState, PageHead, ShortDigest, Size } from './components.js';
import type { PullSource } from '../caches/redirects.js';
import { PullSourceNote } from './pull-source.js';
import { dockerfileLine } from './history-line.js';
import { namespaceHref, repositoryHref } from './repositories.js';
import { VulnerabilitiesSection, type VulnerabilitiesProps } from './vulnerabilities-section.js';

export const tagHref = (fullName: string, tag: string) => `/repositories/${fullName}/-/tags/${encodeURIComponent(tag)}`;
export const manifestHref = (fullName: string, digest: string) => `/repositories/${fullName}/-/manifests/${digest}`;

export interface TagPageProps {
  host: string;
  repo: RepositoryView;
  details: TagDetails;
  /** The platform shown (an entry of `details.platforms`), when there is one. */
  selected?: ImageView | undefined;
  /** This page's path, without query: the picker's links add `?platform=`. */
  href: string;
  /** Where the viewer's pulls fetch layers from. */
  pullSource: PullSource;
  signedIn: boolean;
  /** The selected platform's scan, when it is an image. */
  vulnerabilities?: VulnerabilitiesProps | undefined;
}

const PlatformPicker: FC<{ platforms: ImageView[]; selected: ImageView; href: string }> = (p) => (
  <nav class="card-foot" aria-label="Platforms">
    <span>Platform</span>
    <span class="pager">
      {p.platforms.map((image) => (
        <a
          class="btn btn-small"
          href={`${p.href}?platform=${image.digest}`}
          aria-current={image.digest === p.selected.digest ? 'page' : undefined}
        >
          {platformName(image.platform)}
        </a>
      ))}
    </span>
  </nav>
);

const list = (values: string[] | undefined) => (values && values.length > 0 ? JSON.stringify(values) : '(none)');

const ImageSettings: FC<{ image: ImageView }> = ({ image }) => {
  const { config } = image;
  return (
    <Card id="image" title="Image" hint={platformName(image.platform)}>
      <div class="card-body">
        {config.state === 'unavailable' ? (
          <Alert kind="warning">Details unavailable: {config.reason}.</Alert>
        ) : (
          <dl class="details">
            <dt>Platform</dt>
            <dd>{platformName(image.platform)}</dd>
            <dt>Created</dt>
            <dd>{config.created ?? 'unknown'}</dd>
            <dt>Author</dt>
            <dd>{config.author ?? 'unknown'}</dd>
            <dt>Entrypoint</dt>
            <dd>
              <code>{list(config.entrypoint)}</code>
            </dd>
            <dt>Command</dt>
            <dd>
              <code>{list(config.cmd)}</code>
            </dd>
            <dt>User</dt>
            <dd>{config.user ?? 'root (default)'}</dd>
            <dt>Working directory</dt>
            <dd>{config.workingDir ?? '/'}</dd>
            <dt>Exposed ports</dt>
            <dd>{config.exposedPorts.length > 0 ? config.exposedPorts.join(', ') : 'none'}</dd>
            <dt>Compressed size</dt>
            <dd>
              <Size bytes={image.compressedSize} />
            </dd>
          </dl>
        )}
      </div>
    </Card>
  );
};

const NameValues: FC<{ id: string; title: string; hint?: string; rows: Array<[string, string, boolean]> }> = (p) => (
  <Card id={p.id} title={p.title} {...(p.hint !== undefined && { hint: p.hint })}>
    {p.rows.length > 0 ? (
      <div class="table-scroll" tabindex={0}>
        <table class="table table-compact">
          <tbody>
            {p.rows.map(([name, value, masked]) => (
              <tr>
                <th scope="row">
                  <code>{name}</code>
                </th>
                <td>{masked ? <span class="muted">hidden</span> : <code>{value}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <EmptyState title="None" />
    )}
  </Card>
);

const History: FC<{ image: ImageView }> = ({ image }) => (
  <Card id="history" title="History" hint="Each step with the layer it produced">
    <div class="table-scroll" tabindex={0}>
      <table class="table table-compact">
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Layer</th>
            <th scope="col" class="num">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
          {image.history.map((step) => (
            <tr>
              <td>
                <code>{dockerfileLine(step.createdBy) || '(no command recorded)'}</code>
              </td>
              <td>{step.layer ? <ShortDigest digest={step.layer.digest} /> : <span class="muted">no layer</span>}</td>
              <td class="num">{step.layer ? <Size bytes={step.layer.size} /> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  </Card>
);

const BlobTable: FC<{ blobs: Array<{ digest: string; mediaType: string; size: number }> }> = ({ blobs }) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table table-compact">
      <thead>
        <tr>
          <th scope="col">Digest</th>
          <th scope="col">Media type</th>
          <th scope="col" class="num">
            Size
          </th>
        </tr>
      </thead>
      <tbody>
        {blobs.map((blob) => (
          <tr>
            <td>
              <ShortDigest digest={blob.digest} />
            </td>
            <td class="muted">{blob.mediaType}</td>
            <td class="num">
              <Size bytes={blob.size} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const Referrers: FC<{ repo: string; referrers: ReferrerView[] }> = ({ repo, referrers }) => (
  <Card id="referrers" title="Referrers" hint="Signatures, SBOMs and other artifacts attached">
    {referrers.length > 0 ? (
      <div class="table-scroll" tabindex={0}>
        <table class="table table-compact">
          <tbody>
            {referrers.map((r) => (
              <tr>
                <td>{r.artifactType ?? r.mediaType}</td>
                <td>
                  <a href={manifestHref(repo, r.digest)}>
                    <ShortDigest digest={r.digest} />
                  </a>
                </td>
                <td class="num">
                  <Size bytes={r.size} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <EmptyState title="Nothing attached" />
    )}
  </Card>
);

const Artifact: FC<{ repo: string; artifact: ArtifactView }> = ({ repo, artifact }) => (
  <Card id={`artifact-${artifact.digest.slice(7, 19)}`} title="Artifact" hint={artifact.artifactType}>
    <div class="card-body">
      <dl class="details">
        <dt>Digest</dt>
        <dd>
          <a href={manifestHref(repo, artifact.digest)}>
            <ShortDigest digest={artifact.digest} />
          </a>
        </dd>
        <dt>Artifact type</dt>
        <dd>{artifact.artifactType ?? 'none'}</dd>
        {artifact.subject && (
          <>
            <dt>Refers to</dt>
            <dd>
              <a href={manifestHref(repo, artifact.subject)}>
                <ShortDigest digest={artifact.subject} />
              </a>
            </dd>
          </>
        )}
      </dl>
    </div>
    <BlobTable blobs={artifact.blobs} />
  </Card>
);

export const TagPage: FC<TagPageProps> = ({
  host,
  repo,
  details,
  selected,
  href,
  pullSource,
  signedIn,
  vulnerabilities,
}) => {
  const name = repo.fullName;
  const crumbs = [
    { href: '/repositories', label: 'Repositories' },
    ...(repo.namespace ? [{ href: namespaceHref(repo.namespace), label: repo.namespace }] : []),
    { href: repositoryHref(name), label: repo.name },
  ];
  const title = details.tag !== undefined ? `${name}:${details.tag}` : `${name}@${details.digest.slice(0, 19)}`;
  const config = selected?.config.state === 'available' ? selected.config : undefined;
  return (
    <>
      <PageHead title={title} crumbs={crumbs} badges={<Badge kind="neutral">{details.kind}</Badge>} />
      <div class="stack">
        <Card id="pull" title="Pull by digest" hint="Always the same content, whatever the tag says later">
          <div class="card-body">
            <CopyCommand
              command={`docker pull ${host}/${name}@${details.digest}`}
              large
              label="Copy the pull command"
            />
            <PullSourceNote source={pullSource} signedIn={signedIn} />
          </div>
          {selected && details.platforms.length > 1 && (
            <PlatformPicker platforms={details.platforms} selected={selected} href={href} />
          )}
        </Card>
        {details.truncated && <Alert kind="info">This index lists more manifests than are shown.</Alert>}
        {selected && (
          <>
            <ImageSettings image={selected} />
            {vulnerabilities && <VulnerabilitiesSection {...vulnerabilities} />}
            <div class="grid-2 equal">
              <NameValues
                id="env"
                title="Environment"
                hint="Values of secret-looking names are hidden"
                rows={(config?.env ?? []).map((e) => [e.name, e.value, e.masked])}
              />
              <NameValues
                id="labels"
                title="Labels"
                rows={Object.entries(config?.labels ?? {}).map(([k, v]) => [k, v, false])}
              />
            </div>
            <History image={selected} />
            <Card id="layers" title="Layers" hint={<Size bytes={selected.compressedSize} />}>
              <BlobTable blobs={selected.layers} />
            </Card>
          </>
        )}
        {details.artifacts.map((artifact) => (
          <Artifact repo={name} artifact={artifact} />
        ))}
        <Referrers
          repo={name}
          referrers={[...details.referrers, ...(selected?.referrers ?? [])].filter(
            (r, i, all) => all.findIndex((o) => o.digest === r.digest) === i,
          )}
        />
      </div>
    </>
  );
};
