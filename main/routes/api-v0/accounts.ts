/**
 * @module `/api/v0/accounts` and `/api/v0/accounts/<name>/settings`: users and organizations
 * (create, list, read, change, remove) and their settings. Who may do what is decided in
 * main/accounts/account-management.ts.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AccountManagement } from '../../accounts/account-management.js';
import { jsonBody } from './request-input.js';

const newAccountSchema = z.object({
  type: z.enum(['user', 'organization']).optional(),
  /** DTR's spelling of `type: 'organization'`. */
  isOrg: z.boolean().optional(),
  name: z.string(),
  password: z.string().optional(),
  isAdmin: z.boolean().optional(),
  isActive: z.boolean().optional(),
  fullName: z.string().max(200).optional(),
});

const accountPatchSchema = z.object({
  fullName: z.string().max(200).optional(),
  isAdmin: z.boolean().optional(),
  isActive: z.boolean().optional(),
  password: z.string().optional(),
  oldPassword: z.string().optional(),
});

const settingsSchema = z.object({
  // A registered cache's name, or '' for none (checked by the account service).
  defaultContentCache: z.string().max(200).optional(),
});

export function accountRoutes(accounts: AccountManagement): Hono {
  const app = new Hono();

  app.post('/accounts', async (c) => {
    const { isOrg, type, ...input } = await jsonBody(c, newAccountSchema);
    return c.json(
      await accounts.create(c.var.principal, { ...input, type: isOrg ? 'organization' : (type ?? 'user') }),
      201,
    );
  });

  app.get('/accounts', async (c) => c.json({ accounts: await accounts.list(c.var.principal) }));

  app.get('/accounts/:name', async (c) => c.json(await accounts.get(c.var.principal, c.req.param('name'))));

  app.patch('/accounts/:name', async (c) => {
    const patch = await jsonBody(c, accountPatchSchema);
    return c.json(await accounts.update(c.var.principal, c.req.param('name'), patch));
  });

  app.delete('/accounts/:name', async (c) => {
    await accounts.remove(c.var.principal, c.req.param('name'));
    return c.body(null, 204);
  });

  app.get('/accounts/:name/settings', async (c) =>
    c.json(await accounts.settings(c.var.principal, c.req.param('name'))),
  );

  app.post('/accounts/:name/settings', async (c) => {
    const patch = await jsonBody(c, settingsSchema);
    return c.json(await accounts.updateSettings(c.var.principal, c.req.param('name'), patch));
  });

  return app;
}
