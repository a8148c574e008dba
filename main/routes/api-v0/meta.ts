/**
 * @module `/api/v0/meta/settings` (registry-wide settings), `/api/v0/meta/cluster_status`
 * (admins), and DTR's liveness probe `GET /_ping`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAdmin } from '../../accounts/account-management.js';
import type { MetaSettingsService } from '../../accounts/meta-settings.js';
import type { ClusterStatus } from '../../cluster-status.js';
import { jsonBody } from './request-input.js';

const settingsSchema = z.object({
  createRepositoryOnPush: z.boolean().optional(),
  anonymousPull: z.boolean().optional(),
  // Checked field by field, with its limits, by main/directory/ldap-settings.ts.
  ldap: z.unknown().optional(),
  scanOnPush: z.boolean().optional(),
});

const ldapTestSchema = z
  .object({ username: z.string().min(1).max(256).optional(), settings: z.record(z.string(), z.unknown()).optional() })
  .strict();

export function metaRoutes({
  meta,
  clusterStatus,
}: {
  meta: MetaSettingsService;
  clusterStatus: () => Promise<ClusterStatus>;
}): Hono {
  const app = new Hono();

  app.get('/meta/settings', async (c) => c.json(await meta.get(c.var.principal)));

  app.post('/meta/settings', async (c) => {
    const patch = await jsonBody(c, settingsSchema);
    return c.json(await meta.update(c.var.principal, patch));
  });

  // Admins only (checked by meta.testLdap): binds and searches, changes nothing.
  app.post('/meta/settings/ldap/test', async (c) => {
    const input = await jsonBody(c, ldapTestSchema);
    return c.json(await meta.testLdap(c.var.principal, input));
  });

  app.get('/meta/cluster_status', async (c) => {
    requireAdmin(c.var.principal, 'see the cluster status');
    return c.json(await clusterStatus());
  });

  return app;
}

/** `GET /_ping`: `OK` while the process serves (no authentication, no I/O). */
export function pingRoutes(): Hono {
  return new Hono().get('/_ping', (c) => c.text('OK'));
}
