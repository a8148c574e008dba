/**
 * @module Main's periodic background work: the replica heartbeat and key reload every replica
 * runs, and the purges and checks that run once per cluster on the replica holding their lease
 * (main/cluster/singleton-work.ts). The composition root (main/service.ts) starts it after main
 * listens and stops it first on the way down.
 */
import type { KeyRing } from '../src/auth/keys.js';
import type { Logger } from '../src/log/logger.js';
import type { MainConfig } from './config.js';
import type { Sessions } from './auth/sessions.js';
import type { ClusterCoordinator, ReplicaInfo } from './metadata/cluster.js';
import type { JobStore } from './metadata/jobs.js';
import type { SettingsStore } from './metadata/settings.js';
import type { Jobs } from './jobs/jobs.js';
import { startSingletonWork, type SingletonWork } from './cluster/singleton-work.js';
import { startLdapSyncIfDue } from './directory/ldap-sync.js';
import { purgeEndedJobs } from './jobs/retention.js';

// A rotation by `outpost main keys rotate` in another process is picked up within this time.
const KEY_RELOAD_INTERVAL_MS = 10_000;
// The directory's sync interval is a directory setting: whether one is due is checked this often.
const LDAP_SYNC_CHECK_INTERVAL_MS = 60_000;
// Expired web sessions are refused when read; this only reclaims their space.
const SESSION_PURGE_INTERVAL_MS = 60 * 60_000;
// Ended jobs past their retention (config jobs.retention) are removed this often.
const JOB_PURGE_INTERVAL_MS = 60 * 60_000;
// Replicas record themselves this often; one silent for three beats is reported down.
export const HEARTBEAT_INTERVAL_MS = 5_000;
export const REPLICA_DOWN_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS;

export interface PeriodicWorkDeps {
  config: Pick<MainConfig, 'storage' | 'jobs'>;
  coordinator: ClusterCoordinator;
  replica: ReplicaInfo;
  keys: KeyRing;
  sessions: Sessions;
  settings: SettingsStore;
  jobStore: JobStore;
  jobs: Pick<Jobs, 'list' | 'start'>;
  /** Removes abandoned uploads (the `upload-purge` work). */
  purgeUploads: () => Promise<void>;
  logger: Logger;
  now: () => number;
}

export interface PeriodicWork {
  /** Stops the timers and waits for any once-per-cluster run in progress. */
  stop(): Promise<void>;
}

/** Records this replica once (so that it is listed before the first interval) and starts the rest. */
export async function startPeriodicWork(deps: PeriodicWorkDeps): Promise<PeriodicWork> {
  const { config, coordinator, replica, logger, now } = deps;
  const beat = () =>
    coordinator.heartbeat(replica).catch((err) => logger.warn('replica heartbeat failed', { error: err }));
  await beat();
  const singleton = (name: string, intervalMs: number, run: () => Promise<void>): SingletonWork =>
    startSingletonWork({ name, holder: replica.id, coordinator, intervalMs, run, logger, now });
  const singletons: SingletonWork[] = [
    ...(config.storage.uploadPurgeIntervalMs > 0
      ? [singleton('upload-purge', config.storage.uploadPurgeIntervalMs, deps.purgeUploads)]
      : []),
    singleton('session-purge', SESSION_PURGE_INTERVAL_MS, () => deps.sessions.purgeExpired().then(() => undefined)),
    singleton('ldap-sync', LDAP_SYNC_CHECK_INTERVAL_MS, () =>
      startLdapSyncIfDue({ settings: deps.settings, jobs: deps.jobs, now }).then(() => undefined),
    ),
    ...(config.jobs.retention > 0
      ? [
          singleton('job-purge', JOB_PURGE_INTERVAL_MS, () =>
            purgeEndedJobs(deps.jobStore, now() - config.jobs.retention).then(() => undefined),
          ),
        ]
      : []),
  ];
  const timers = [
    setInterval(beat, HEARTBEAT_INTERVAL_MS).unref(),
    setInterval(
      () => deps.keys.reload().catch((err) => logger.error('key reload failed', { error: err })),
      KEY_RELOAD_INTERVAL_MS,
    ).unref(),
  ];
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(singletons.map((work) => work.stop()));
    },
  };
}
