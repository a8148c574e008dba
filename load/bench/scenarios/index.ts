/** @module Every scenario `npm run bench` knows, in the order a full run executes them. */
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
