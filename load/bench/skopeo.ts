/**
 * @module `skopeo copy` between an OCI layout on disk and a registry over plain HTTP.
 *
 * `--preserve-digests` keeps skopeo from recompressing or converting anything, so the bytes
 * pushed are exactly the layout's; `--insecure-policy` spares the run a signature policy file.
 */
import { runCommand, type RunOptions } from './command.js';

/** `oci:<dir>:<tag>` → `docker://<hostPort>/<repo>:<tag>` (`creds`: `user:password`). */
export function skopeoPush(
  layoutRef: string,
  hostPort: string,
  repoRef: string,
  options: RunOptions & { creds?: string },
): Promise<string> {
  const creds = options.creds ? [`--dest-creds=${options.creds}`] : [];
  return runCommand(
    'skopeo',
    [
      '--insecure-policy',
      'copy',
      '--preserve-digests',
      '--dest-tls-verify=false',
      ...creds,
      layoutRef,
      `docker://${hostPort}/${repoRef}`,
    ],
    options,
  );
}

/** `docker://<hostPort>/<repo>:<tag>` → `oci:<dir>:<tag>` (a directory that must not hold an image yet). */
export function skopeoPull(
  hostPort: string,
  repoRef: string,
  layoutRef: string,
  options: RunOptions & { creds?: string },
): Promise<string> {
  const creds = options.creds ? [`--src-creds=${options.creds}`] : [];
  return runCommand(
    'skopeo',
    [
      '--insecure-policy',
      'copy',
      '--preserve-digests',
      '--src-tls-verify=false',
      ...creds,
      `docker://${hostPort}/${repoRef}`,
      layoutRef,
    ],
    options,
  );
}
