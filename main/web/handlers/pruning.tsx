/**
 * @module `/repositories/<name>/pruning`: the pruning page of a repository (pruning-page.tsx).
 * Access, on every route here: signed in and administering the repository (main/pruning/ checks
 * it: others get the not-found or no-permission page). GET shows the policy; POST saves the form
 * (a refused policy is shown again as typed, with the reason, status 400); POST `.../test` shows
 * the dry run of the saved policy; POST `.../run` ("Prune now") runs it for real and shows what went. The form reads at most MAX_RULES rows, whatever it sends.
 */
import { Hono, type Context } from 'hono';
import type { BodyData } from 'hono/utils/body';
import { AccountError } from '../../accounts/errors.js';
import { MAX_RULES } from '../../pruning/policy.js';
import type { PolicyView, PruneReport } from '../../pruning/pruner.js';
import type { WebCookies } from '../cookies.js';
import { PruningPage, pruningHref, type PolicyForm } from '../pruning-page.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { asSentence } from '../web-error-handler.js';
import { formText } from './form.js';
import { signedIn } from './guards.js';

const text = (value: number | undefined) => (value === undefined ? '' : String(value));

function formOf(policy: PolicyView): PolicyForm {
  return {
    rules: policy.rules.map((rule) => ({
      tagPattern: rule.tagPattern,
      olderThanDays: text(rule.olderThanDays),
      notPulledForDays: text(rule.notPulledForDays),
      keepMostRecent: text(rule.keepMostRecent),
    })),
    maxTags: text(policy.maxTags),
    keepPulledWithinDays: text(policy.keepPulledWithinDays),
    keepUntaggedManifests: policy.keepUntaggedManifests === true,
  };
}

function readForm(form: BodyData): PolicyForm {
  const rules: PolicyForm['rules'] = [];
  for (let i = 0; i < MAX_RULES; i++) {
    const field = (name: string) => formText(form, `${name}-${i}`).trim();
    if (field('tagPattern') === '') continue;
    rules.push({
      tagPattern: field('tagPattern'),
      olderThanDays: field('olderThanDays'),
      notPulledForDays: field('notPulledForDays'),
      keepMostRecent: field('keepMostRecent'),
    });
  }
  return {
    rules,
    maxTags: formText(form, 'maxTags').trim(),
    keepPulledWithinDays: formText(form, 'keepPulledWithinDays').trim(),
    keepUntaggedManifests: formText(form, 'keepUntaggedManifests') === 'on',
  };
}

/** The form as the policy's JSON shape: empty fields are absent, numbers are numbers (or NaN, refused). */
function toPolicyInput(form: PolicyForm): unknown {
  const number = (value: string) => (value === '' ? undefined : Number(value));
  const fields = (entries: Record<string, string>) =>
    Object.fromEntries(Object.entries(entries).flatMap(([k, v]) => (v === '' ? [] : [[k, number(v)]])));
  return {
    rules: form.rules.map(({ tagPattern, ...conditions }) => ({ tagPattern, ...fields(conditions) })),
    ...fields({ maxTags: form.maxTags, keepPulledWithinDays: form.keepPulledWithinDays }),
    ...(form.keepUntaggedManifests && { keepUntaggedManifests: true }),
  };
}

export function pruningWebRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  async function show(
    c: Context,
    name: string,
    options: { form?: PolicyForm; dryRun?: PruneReport; pruned?: PruneReport; error?: string } = {},
  ) {
    const { principal, session } = signedIn(c);
    const policy = await deps.pruning.getPolicy(principal, name);
    const body = (
      <PruningPage
        repo={name}
        form={options.form ?? formOf(policy)}
        csrfToken={session.csrfToken}
        now={deps.now()}
        {...(policy.updatedAt !== undefined &&
          policy.updatedBy !== undefined && { updated: { at: Date.parse(policy.updatedAt), by: policy.updatedBy } })}
        {...(options.dryRun && { dryRun: options.dryRun })}
        {...(options.pruned && { pruned: options.pruned })}
      />
    );
    return renderPage(
      c,
      cookies,
      {
        title: `Pruning ${name}`,
        section: 'repositories',
        ...(options.error !== undefined && { status: 400, flash: { kind: 'error', text: options.error } }),
      },
      body,
    );
  }

  app.get('/repositories/:name{.+}/pruning', (c) => show(c, c.req.param('name')));

  app.post('/repositories/:name{.+}/pruning', async (c) => {
    const { principal } = signedIn(c);
    const name = c.req.param('name');
    const form = readForm(await c.req.parseBody());
    try {
      await deps.pruning.putPolicy(principal, name, toPolicyInput(form));
    } catch (err) {
      if (err instanceof AccountError && err.code === 'INVALID_INPUT')
        return show(c, name, { form, error: asSentence(err.message) });
      throw err;
    }
    return redirectWithFlash(c, cookies, pruningHref(name), { kind: 'success', text: 'Pruning policy saved.' });
  });

  app.post('/repositories/:name{.+}/pruning/test', async (c) => {
    const { principal } = signedIn(c);
    const name = c.req.param('name');
    return show(c, name, { dryRun: await deps.pruning.dryRun(principal, name) });
  });

  // Access: repository administrators (pruneNow checks it), with the form's CSRF token (routes.ts).
  app.post('/repositories/:name{.+}/pruning/run', async (c) => {
    const { principal } = signedIn(c);
    const name = c.req.param('name');
    return show(c, name, { pruned: await deps.pruning.pruneNow(principal, name) });
  });

  return app;
}
