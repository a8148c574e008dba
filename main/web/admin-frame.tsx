/** @module The frame of the administration pages: their own navigation beside the content. */
import type { FC, PropsWithChildren } from 'hono/jsx';
import { PageHead } from './components.js';

export type AdminTab = 'users' | 'organizations' | 'caches' | 'settings' | 'jobs' | 'events';

const TABS: Array<{ tab: AdminTab; href: string; label: string }> = [
  { tab: 'users', href: '/admin/users', label: 'Users' },
  { tab: 'organizations', href: '/admin/organizations', label: 'Organizations' },
  { tab: 'caches', href: '/admin/caches', label: 'Content caches' },
  { tab: 'settings', href: '/admin/settings', label: 'Registry settings' },
  { tab: 'jobs', href: '/admin/jobs', label: 'Jobs' },
  { tab: 'events', href: '/admin/events', label: 'Audit log' },
];

export const AdminFrame: FC<
  PropsWithChildren<{
    tab: AdminTab;
    title: string;
    subtitle?: string;
    crumbs?: Array<{ href: string; label: string }>;
  }>
> = (p) => (
  <>
    <PageHead
      title={p.title}
      subtitle={p.subtitle}
      crumbs={p.crumbs ?? [{ href: '/admin/users', label: 'Administration' }]}
    />
    <div class="layout-split">
      <nav class="card side-nav" aria-label="Administration">
        <h2>Administration</h2>
        {TABS.map(({ tab, href, label }) => (
          <a href={href} aria-current={p.tab === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <div class="stack">{p.children}</div>
    </div>
  </>
);
