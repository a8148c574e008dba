/** @module One image push with a fresh random layer: token, two blobs, a manifest. */
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import type { Credentials } from './env.ts';
import { fetchToken, pushBlob, pushManifest } from './registry.ts';

export function pushImage(main: string, credentials: Credentials, repo: string, layerKiB: number): void {
  const token = fetchToken(main, credentials, `repository:${repo}:pull,push`);
  const layerBytes = crypto.randomBytes(Math.max(1, Math.round(layerKiB * 1024)));
  const layer = pushBlob(
    main,
    token,
    repo,
    layerBytes,
    `sha256:${crypto.sha256(layerBytes, 'hex')}`,
    'application/vnd.oci.image.layer.v1.tar',
  );
  const configJson = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  });
  const config = pushBlob(
    main,
    token,
    repo,
    configJson,
    `sha256:${crypto.sha256(configJson, 'hex')}`,
    'application/vnd.oci.image.config.v1+json',
  );
  pushManifest(main, token, repo, `k6-${exec.vu.idInTest}-${exec.vu.iterationInScenario}`, config, [layer]);
}
