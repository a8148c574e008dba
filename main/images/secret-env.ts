/**
 * @module Which environment variables of an image config are shown masked. Image configs are
 * readable by everyone who may pull, yet people bake credentials into `ENV` lines; a details page
 * must not become the easiest place to copy them from. The value is hidden, the name is kept
 * (so the reader knows the secret exists and can ask for it to be removed from the image).
 *
 * A name is secret when, upper-cased, it contains one of SECRET_NAME_PARTS (`DB_PASSWORD`,
 * `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `API_KEY`, `PRIVATE_KEY_PEM`...). This also masks a
 * few harmless names (`KEYBOARD_LAYOUT`): hiding too much costs a click on `docker inspect`,
 * showing too much leaks.
 */

export const SECRET_NAME_PARTS: readonly string[] = [
  'PASSWORD',
  'PASSWD',
  'PASS',
  'PWD',
  'SECRET',
  'TOKEN',
  'KEY',
  'CREDENTIAL',
  'AUTH',
  'PRIVATE',
  'SESSION',
  'DSN',
];

/** What a masked value is replaced with. */
export const MASKED_VALUE = '********';

export interface EnvEntry {
  name: string;
  /** The value, or MASKED_VALUE when `masked`. */
  value: string;
  masked: boolean;
}

// `PWD` is also the shell's working directory, set by many base images: not a secret.
const NOT_SECRET: ReadonlySet<string> = new Set(['PWD', 'OLDPWD']);

export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  if (NOT_SECRET.has(upper)) return false;
  return SECRET_NAME_PARTS.some((part) => upper.includes(part));
}

/** `NAME=value` lines (as in a config's `Env`) to entries, secrets masked; a line without `=` has an empty value. */
export function toEnvEntries(lines: readonly string[]): EnvEntry[] {
  return lines.map((line) => {
    const at = line.indexOf('=');
    const name = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? '' : line.slice(at + 1);
    return isSecretName(name) ? { name, value: MASKED_VALUE, masked: true } : { name, value, masked: false };
  });
}

// `NAME=value` in a recorded build step: the value quoted ("..." or '...') or up to the next space.
const ASSIGNMENT = /(^|[\s|])([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;

/**
 * `text` (a history step's `created_by`) with the value of each `NAME=value` whose name is secret
 * masked. Builders record `ENV DB_PASSWORD=...` steps and the build args of `RUN` steps
 * (`|1 GITHUB_TOKEN=... /bin/sh -c ...`) in clear: masking only `Env` would leave them there.
 */
export function maskSecretAssignments(text: string): string {
  return text.replace(ASSIGNMENT, (whole, before: string, name: string) =>
    isSecretName(name) ? `${before}${name}=${MASKED_VALUE}` : whole,
  );
}
