/**
 * @module The profile's "Content cache" section: which edge cache the user pulls layers from.
 *
 * Radio buttons (one per cache with its region and health, plus "None") in a form that posts
 * `defaultContentCache` to `action`; works without scripts. When the user has no cache of their
 * own, it says which organization default serves them instead. Until an administrator
 * registers caches it only says so.
 */
import type { FC } from 'hono/jsx';
import { Alert, Badge, Card, EmptyState, PostForm, SubmitButton } from './components.js';
import type { HealthState, OrganizationDefault } from './content-cache-status.js';

export interface ContentCacheOption {
  name: string;
  region?: string;
  /** What main's health probe last saw. */
  health: HealthState;
}

export interface ContentCacheSectionProps {
  caches?: ContentCacheOption[] | undefined;
  /** The user's current `defaultContentCache` ('' or undefined: none, pull from main). */
  selected?: string | undefined;
  /** The organization default that applies when the user picks none. */
  organizationDefault?: OrganizationDefault | undefined;
  /** Why the last save was refused, shown above the choices. */
  error?: string | undefined;
  csrfToken: string;
  action?: string;
}

const HEALTH_BADGE = { up: 'up', down: 'down', unknown: 'neutral' } as const;
const HEALTH_LABEL = { up: 'up', down: 'down', unknown: 'not checked yet' } as const;

/** A cache's health as a badge: up, down, or not checked yet. */
export const HealthBadge: FC<{ state: HealthState }> = ({ state }) => (
  <Badge kind={HEALTH_BADGE[state]}>{HEALTH_LABEL[state]}</Badge>
);

const CacheChoice: FC<{
  value: string;
  checked: boolean;
  title: string;
  detail?: string | undefined;
  health?: HealthState | undefined;
}> = (p) => (
  <div class="check">
    <input
      type="radio"
      id={`cache-${p.value || 'none'}`}
      name="defaultContentCache"
      value={p.value}
      checked={p.checked}
    />
    <label for={`cache-${p.value || 'none'}`}>
      {p.title}
      {p.health && <HealthBadge state={p.health} />}
      {p.detail && <span class="help">{p.detail}</span>}
    </label>
  </div>
);

const cacheDetail = (cache: ContentCacheOption, orgDefault: OrganizationDefault | undefined): string | undefined => {
  const parts = [
    cache.region && `Region: ${cache.region}`,
    orgDefault?.cache === cache.name && `Default of ${orgDefault.organization}`,
    cache.health === 'down' && 'Down: your pulls go up its chain, or to main, until it is back',
  ].filter((part): part is string => Boolean(part));
  return parts.length > 0 ? parts.join(' · ') : undefined;
};

const NoneChoice: FC<{ checked: boolean; orgDefault: OrganizationDefault | undefined }> = ({ checked, orgDefault }) =>
  orgDefault ? (
    <CacheChoice
      value=""
      checked={checked}
      title="None (use your organization's default)"
      detail={
        `Your organization ${orgDefault.organization} has ${orgDefault.cache} as its default, ` +
        `so your pulls fetch layers from ${orgDefault.cache}.`
      }
    />
  ) : (
    <CacheChoice
      value=""
      checked={checked}
      title="None (pull from main)"
      detail="Pull every layer straight from the main registry."
    />
  );

export const ContentCacheSection: FC<ContentCacheSectionProps> = ({
  caches,
  selected,
  organizationDefault: orgDefault,
  error,
  csrfToken,
  action = '/profile/content-cache',
}) => (
  <Card id="cache" title="Content cache" hint="Where your pulls fetch image layers from">
    {caches && caches.length > 0 ? (
      <div class="card-body">
        {error && <Alert kind="error">{error}</Alert>}
        {selected && !caches.some((cache) => cache.name === selected) && (
          <Alert kind="warning">
            {`Your saved cache "${selected}" is no longer registered, so it is ` +
              `not used. Pick another one, or None.`}
          </Alert>
        )}
        <PostForm action={action} csrfToken={csrfToken} label="Content cache">
          <fieldset>
            <legend class="visually-hidden">Content cache</legend>
            <NoneChoice checked={!selected} orgDefault={orgDefault} />
            {caches.map((cache) => (
              <CacheChoice
                value={cache.name}
                checked={selected === cache.name}
                title={cache.name}
                detail={cacheDetail(cache, orgDefault)}
                health={cache.health}
              />
            ))}
          </fieldset>
          <SubmitButton label="Save cache" />
        </PostForm>
      </div>
    ) : (
      <EmptyState title="No caches configured yet">
        <p class="muted">
          When an administrator registers edge caches, you can pick the one nearest to you here and your pulls will
          fetch layers from it.
        </p>
      </EmptyState>
    )}
  </Card>
);
