/**
 * @module What the web pages need from main, built by service.ts: the same domain services
 * the API and the registry use, so a form and an API call do exactly the same thing.
 */
import type { Logger } from '../../src/log/logger.js';
import type { Accounts } from '../accounts/accounts.js';
import type { AccessControl } from '../accounts/access-control.js';
import type { AccountManagement } from '../accounts/account-management.js';
import type { MetaSettingsService } from '../accounts/meta-settings.js';
import type { OrgManagement } from '../accounts/org-management.js';
import type { Repositories } from '../accounts/repositories.js';
import type { Images } from '../images/images.js';
import type { ImageScans } from '../scans/image-scans.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Sessions } from '../auth/sessions.js';
import type { CachesModule } from '../caches/caches-module.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Pruning } from '../pruning/pruner.js';
import type { AuditLog } from '../audit/audit-log.js';

export interface WebDeps {
  accounts: Accounts;
  /** Account changes with the caller's rights (the management API's rules). */
  accountManagement: AccountManagement;
  orgManagement: OrgManagement;
  authenticator: Authenticator;
  sessions: Sessions;
  accessControl: AccessControl;
  repositories: Repositories;
  /** Image details (tag pages), with the pull right checked. */
  images: Images;
  /** Scans of image manifests, shown on tag pages (read after the pull right was checked), and "Scan now". */
  scans: Pick<ImageScans, 'results' | 'scanTag'>;
  /** The registry's metadata, read for tag counts and namespaces. */
  registryMetadata: RegistryMetadata;
  metaSettings: MetaSettingsService;
  /** Main's public URL: its host is the one in pull commands; https makes cookies Secure. */
  publicUrl: string;
  logger: Logger;
  now: () => number;
  /** Content caches: picked on the profile page, managed on /admin/caches (with health and redirect counts). */
  caches: Pick<CachesModule, 'caches' | 'probe' | 'metrics' | 'redirects' | 'usage'>;
  /** Background jobs, for /admin/jobs (the API's jobs service). */
  jobs: Jobs;
  /** Pruning policies and their dry run (the repository's pruning page). */
  pruning: Pruning;
  /** The audit log, shown on /admin/events (empty when absent). */
  audit?: Pick<AuditLog, 'list'>;
}
