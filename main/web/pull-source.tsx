/**
 * @module One line on the repository and tag pages saying where the viewer's pulls fetch their
 * layers from (the cache main redirects them to, or main itself) and why: the product's point
 * made visible, and the first thing to check when a pull is slow. Nothing when no content cache
 * is registered (every pull is served by main, and there is nothing to choose).
 */
import type { FC } from 'hono/jsx';
import type { PullSource } from '../caches/redirects.js';

const REASONS = {
  user: 'your choice on your profile',
  organization: "your organization's default",
  network: 'the cache for your network',
} as const;

export const PullSourceNote: FC<{ source: PullSource; signedIn: boolean }> = ({ source, signedIn }) => {
  if (source.kind === 'main' && source.reason === 'no-caches') return null;
  const who = signedIn ? 'Your pulls' : 'Anonymous pulls';
  if (source.kind === 'cache')
    return (
      <p class="pull-source" data-source={`cache:${source.cache}`}>
        {who} fetch layers from <strong>{source.cache}</strong> ({source.region ? `${source.region}, ` : ''}up):{' '}
        {REASONS[source.reason]}
        {source.preferred !== source.cache && `, through it while ${source.preferred} is down`}.
        {signedIn && (
          <>
            {' '}
            <a href="/profile">Change</a>
          </>
        )}
      </p>
    );
  return (
    <p class="pull-source" data-source="main">
      {who} fetch layers from <strong>main</strong>
      {source.reason === 'cache-down' ? (
        <>: {source.preferred}, the cache chosen for you, is down. Main serves them until it is back.</>
      ) : signedIn ? (
        <>
          : you have not picked a content cache. <a href="/profile">Pick one near you</a>.
        </>
      ) : (
        '.'
      )}
    </p>
  );
};
