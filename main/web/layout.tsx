/**
 * @module The frame of every page: document head, the header with navigation and the
 * signed-in user (or a sign-in link), the flash message, and the footer.
 */
import type { FC, PropsWithChildren } from 'hono/jsx';
import { Alert, PostForm, type AlertKind } from './components.js';
import { SCRIPT_URL, STYLESHEET_URL } from './static-routes.js';

/** The signed-in user as the pages see them. */
export interface Viewer {
  name: string;
  isAdmin: boolean;
}

/** A one-time message carried over a redirect (after a form was saved). */
export interface Flash {
  kind: AlertKind;
  text: string;
}

/** Which navigation entry is current. */
export type Section = 'repositories' | 'profile' | 'admin' | 'sign-in';

export interface LayoutProps {
  title: string;
  viewer?: Viewer | undefined;
  /** The session's CSRF token, for the sign-out form in the header. */
  csrfToken?: string | undefined;
  section?: Section | undefined;
  flash?: Flash | undefined;
}

const NavLink: FC<PropsWithChildren<{ href: string; current: boolean }>> = ({ href, current, children }) => (
  <a href={href} aria-current={current ? 'page' : undefined}>
    {children}
  </a>
);

const UserMenu: FC<{ viewer?: Viewer | undefined; csrfToken?: string | undefined }> = ({ viewer, csrfToken }) =>
  viewer && csrfToken ? (
    <div class="user-menu">
      <a class="who" href="/profile" title="Your profile">
        <span class="avatar" aria-hidden="true">
          {viewer.name.slice(0, 1)}
        </span>
        {viewer.name}
      </a>
      <PostForm action="/sign-out" csrfToken={csrfToken} label="Sign out">
        <button type="submit" class="btn btn-small">
          Sign out
        </button>
      </PostForm>
    </div>
  ) : (
    <div class="user-menu">
      <a class="btn btn-small" href="/sign-in">
        Sign in
      </a>
    </div>
  );

export const Layout: FC<PropsWithChildren<LayoutProps>> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${p.title} · Outpost`}</title>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={STYLESHEET_URL} />
      <script src={SCRIPT_URL} defer></script>
    </head>
    <body>
      <a class="skip-link" href="#content">
        Skip to content
      </a>
      <header class="site-header">
        <div class="container inner">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true">
              O
            </span>
            Outpost
          </a>
          <nav class="main-nav" aria-label="Main">
            <NavLink href="/repositories" current={p.section === 'repositories'}>
              Repositories
            </NavLink>
            {p.viewer && (
              <NavLink href="/profile" current={p.section === 'profile'}>
                Profile
              </NavLink>
            )}
            {p.viewer?.isAdmin && (
              <NavLink href="/admin/users" current={p.section === 'admin'}>
                Administration
              </NavLink>
            )}
          </nav>
          {p.section !== 'sign-in' && <UserMenu viewer={p.viewer} csrfToken={p.csrfToken} />}
        </div>
      </header>
      <main id="content" class="container">
        {p.flash && (
          <div class={p.section === 'sign-in' ? 'flash-narrow' : undefined}>
            <Alert kind={p.flash.kind}>{p.flash.text}</Alert>
          </div>
        )}
        {p.children}
      </main>
      <footer class="container site-footer">
        <div class="inner">Outpost container registry</div>
      </footer>
    </body>
  </html>
);
