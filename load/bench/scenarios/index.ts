/**
 * @module Every scenario `npm run bench` knows: those a full run executes, in order, and those
 * only `--only` selects (too long for every run).
 */
import type { Scenario } from '../scenario.js';
import { pushPullLarge } from './push-pull-large.js';
import { authHead } from './auth-head.js';
import { edgeHotBlob } from './edge-hot-blob.js';
import { edgeSmallBlobs } from './edge-small-blobs.js';
import { edgeManyDownloads } from './edge-many-downloads.js';
import { edgeColdPull } from './edge-cold-pull.js';
import { edgeHerd } from './edge-herd.js';
import { mainRedirects } from './main-redirects.js';
import { redirectPull } from './redirect-pull.js';
import { replicas } from './replicas.js';
import { geo } from './geo.js';
import { backup } from './backup.js';
import { ldap } from './ldap.js';
import { scan } from './scan.js';
import { vulndbImport } from './vulndb-import.js';

export const SCENARIOS: readonly Scenario[] = [
  pushPullLarge,
  authHead,
  edgeHotBlob,
  edgeSmallBlobs,
  edgeManyDownloads,
  edgeColdPull,
  edgeHerd,
  mainRedirects,
  redirectPull,
  replicas,
];

/**
 * Selected by name only: `--only geo` (about 20 minutes at the default 400 MiB image and 3
 * repetitions), `--only backup` (pushes a 1 GiB registry first), `--only ldap` (the directory
 * sync; needs slapd and ldap-utils), `--only vulndb-import` (an offline command, not serving),
 * `--only scan` (builds a 1 GiB image first).
 */
export const OPT_IN_SCENARIOS: readonly Scenario[] = [geo, backup, ldap, vulndbImport, scan];

export const ALL_SCENARIOS: readonly Scenario[] = [...SCENARIOS, ...OPT_IN_SCENARIOS];
