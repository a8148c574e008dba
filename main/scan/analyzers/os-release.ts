/**
 * @module scan/analyzers/os-release
 * Reads the distribution from os-release(5): newline-separated KEY=value, values optionally quoted.
 * etc/os-release wins over usr/lib/os-release when both exist (os-release(5) "the former takes precedence").
 */
import type { Distro } from '../types.js';

export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;

export function isOsRelease(path: string): boolean {
  return path === OS_RELEASE_PATHS[0] || path === OS_RELEASE_PATHS[1];
}

export function parseOsRelease(bytes: Buffer): Distro | undefined {
  const fields = new Map<string, string>();
  for (const line of bytes.toString('utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m?.[1] || m[2] === undefined) continue;
    fields.set(m[1], m[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  const id = fields.get('ID');
  if (!id) return undefined;
  return { id, versionId: fields.get('VERSION_ID'), prettyName: fields.get('PRETTY_NAME') };
}
