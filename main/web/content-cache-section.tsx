/**
 * @module The profile's "Content cache" section: which edge cache the user pulls layers from.
 *
 * Until content caches exist it only says so. Given the caches (name, region, health) and the
 * user's current choice, it renders the picker, a form that posts `defaultContentCache` to
 * `action` (the route belongs to the caches feature).
 */
import type { FC } from 'hono/jsx';
import { Badge, Card, EmptyState, PostForm, SubmitButton } from './components.js';

export interface ContentCacheOption {
  name: string;
  region?: string;
  /** What main's health probe last saw. */
  health: 'up' | 'down' | 'unknown';
}

export interface ContentCacheSectionProps {
  caches?: ContentCacheOption[] | undefined;
  /** The user's current `defaultContentCache` ('' or undefined: none, pull from main). */
  selected?: string | undefined;
  csrfToken: string;
  action?: string;
}

const HEALTH_BADGE = { up: 'up', down: 'down', unknown: 'neutral' } as const;

const CacheChoice: FC<{ value: string; checked: boolean; title: string; detail?: string | undefined; health?: ContentCacheOption['health'] }> = (p) => (
  <div class="check">
    <input type="radio" id={`cache-${p.value || 'none'}`} name="defaultContentCache" value={p.value} checked={p.checked} />
    <label for={`cache-${p.value || 'none'}`}>
      {p.title} {p.health && <Badge kind={HEALTH_BADGE[p.health]}>{p.health}</Badge>}
      {p.detail && <span class="help">{p.detail}</span>}
    </label>
  </div>
);

export const ContentCacheSection: FC<ContentCacheSectionProps> = ({ caches, selected, csrfToken, action = '/profile/content-cache' }) => (
  <Card id="cache" title="Content cache" hint="Where your pulls fetch image layers from">
    {caches && caches.length > 0 ? (
      <div class="card-body">
        <PostForm action={action} csrfToken={csrfToken} label="Content cache">
          <fieldset>
            <legend class="visually-hidden">Content cache</legend>
            <CacheChoice value="" checked={!selected} title="None" detail="Pull every layer straight from the main registry." />
            {caches.map((cache) => (
              <CacheChoice value={cache.name} checked={selected === cache.name} title={cache.name} detail={cache.region && `Region: ${cache.region}`} health={cache.health} />
            ))}
          </fieldset>
          <SubmitButton label="Save cache" />
        </PostForm>
      </div>
    ) : (
      <EmptyState title="No caches configured yet">
        <p class="muted">When an administrator registers edge caches, you can pick the one nearest to you here and your pulls will fetch layers from it.</p>
      </EmptyState>
    )}
  </Card>
);
