/**
 * @module The management API, mounted at `/api/v0`: refuses cross-site writes (JSON bodies
 * and a same-origin `Origin` only, csrf-header.ts), identifies the caller (Basic or session
 * cookie, see authenticate.ts), checks the CSRF header of cookie sessions,
 * answers errors in its own table (api-errors.ts), and routes to one file per resource.
 * A new resource is added here (with `api.route`), not in app.ts: see the catch-all below.
 */
import { Hono } from 'hono';
import { createErrorHandler } from '../../../src/http/error-handler.js';
import type { Logger } from '../../../src/log/logger.js';
import type { AccountManagement } from '../../accounts/account-management.js';
import type { OrgManagement } from '../../accounts/org-management.js';
import type { Repositories } from '../../accounts/repositories.js';
import type { Images } from '../../images/images.js';
import type { MetaSettingsService } from '../../accounts/meta-settings.js';
import { AccountError } from '../../accounts/errors.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Sessions } from '../../auth/sessions.js';
import type { ClusterStatus } from '../../cluster-status.js';
import { authenticate } from '../../middleware/authenticate.js';
import { refuseCrossSiteWrites, requireCsrfHeader } from '../../middleware/csrf-header.js';
import { apiErrorMapper } from './api-errors.js';
import { accountRoutes } from './accounts.js';
import { organizationRoutes } from './organizations.js';
import { repositoryRoutes } from './repositories.js';
import { metaRoutes } from './meta.js';
import { contentCacheRoutes } from './content-caches.js';
import { pruningRoutes } from './pruning.js';
import type { Pruning } from '../../pruning/pruner.js';
import type { CachesModule } from '../../caches/caches-module.js';
import type { Jobs } from '../../jobs/jobs.js';
import { jobRoutes } from './jobs.js';
import type { SbomExport } from '../../images/sbom-export.js';
import type { SbomAttach } from '../../images/sbom-attach.js';
import { sbomRoutes } from './imagescan-sbom.js';
import type { ImageScans } from '../../scans/image-scans.js';
import { imageScanRoutes } from './imagescan.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { eventRoutes } from './events.js';

export interface ManagementServices {
  accounts: AccountManagement;
  orgs: OrgManagement;
  repositories: Repositories;
  images: Images;
  meta: MetaSettingsService;
  clusterStatus: () => Promise<ClusterStatus>;
  /** Background jobs and their schedules (admins only). */
  jobs: Jobs;
  pruning: Pruning;
  /** A scanned image's SBOM, downloaded or attached as a referrer (issue 12). */
  sboms: SbomExport;
  sbomAttach: SbomAttach;
  scans: ImageScans;
}

export interface ApiV0Deps extends ManagementServices {
  caches: Pick<CachesModule, 'caches' | 'probe' | 'join' | 'reports' | 'usage'>;
  authenticator: Authenticator;
  sessions: Sessions;
  logger: Logger;
  /** Main's public URL: the origin unsafe requests must come from when they name one. */
  publicUrl: string;
  /** The audit log, read by `GET /api/v0/events` (absent: no such endpoint). */
  audit?: Pick<AuditLog, 'list'>;
}

export function apiV0Routes(deps: ApiV0Deps): Hono {
  const api = new Hono();
  api.onError(createErrorHandler(deps.logger, [apiErrorMapper]));
  // Before authentication: a forged request must not even count as a failed sign-in.
  api.use('*', refuseCrossSiteWrites(deps.publicUrl));
  api.use('*', authenticate(deps));
  api.use('*', requireCsrfHeader());
  api.route('/', accountRoutes(deps.accounts));
  api.route('/', organizationRoutes(deps.orgs));
  api.route('/', repositoryRoutes(deps.repositories, deps.images));
  api.route('/', metaRoutes(deps));
  api.route('/', contentCacheRoutes(deps.caches));
  api.route('/', jobRoutes(deps.jobs));
  api.route('/', pruningRoutes(deps.pruning));
  api.route('/', sbomRoutes(deps));
  api.route('/', imageScanRoutes(deps.scans));
  if (deps.audit) api.route('/', eventRoutes(deps.audit));
  // Every /api/v0 resource is routed above: this catch-all answers the rest, so a sub-app
  // mounted at /api/v0 elsewhere (app.ts) would never be reached.
  api.all('*', (c) => {
    throw new AccountError('NOT_FOUND', `no such endpoint: ${c.req.method} ${c.req.path}`.slice(0, 300));
  });
  return api;
}
