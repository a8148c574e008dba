/**
 * @module The registry-wide settings owner (`GET/POST /api/v0/meta/settings`). Unset keys read
 * as `DEFAULT_META_SETTINGS`, so a setting added later has its default on existing installations.
 * Failures of the backend itself reject with the backend's error.
 */
import type { LdapSettings } from './ldap-settings.js';

export interface MetaSettings {
  /** Pushing to a repository that does not exist creates it (when the pusher may write to the namespace). */
  createRepositoryOnPush: boolean;
  /** Anonymous clients may pull public repositories. */
  anonymousPull: boolean;
  /** Every image manifest pushed is queued for a scan (a repository may choose otherwise: main/scans/). */
  scanOnPush: boolean;
}

export const DEFAULT_META_SETTINGS: Readonly<MetaSettings> = Object.freeze({
  createRepositoryOnPush: true,
  anonymousPull: true,
  scanOnPush: false,
});

export interface SettingsStore {
  /** The settings, defaults filled in. */
  getMetaSettings(): Promise<MetaSettings>;
  /** Merges `patch` into the stored settings in one transaction; returns the result. */
  updateMetaSettings(patch: Partial<MetaSettings>): Promise<MetaSettings>;
  /** The directory settings (bind password included, in clear: callers never answer it), defaults filled in. */
  getLdapSettings(): Promise<LdapSettings>;
  /** Replaces the directory settings (the caller merged and validated them). Encrypted at rest where keys allow. */
  setLdapSettings(settings: LdapSettings): Promise<void>;
}
