/**
 * @module Loads a service's configuration: file, then environment, then flags; validated and frozen.
 *
 * The only module that reads `process.env` (callers pass it in, so tests can too). Every
 * problem is reported at once, one line each naming what the user set (the flag, the variable
 * or the file key; for a missing value the flag and the variable), and the service refuses to start.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';

export class ConfigError extends Error {
  readonly code = 'OUTPOST_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Tree = Record<string, unknown>;

export interface LoadConfigOptions {
  /** JSON file with the same shape as the schema; optional. */
  file?: string;
  /**
   * e.g. `OUTPOST_MAIN_`: `OUTPOST_MAIN_PUBLIC_URL` -> publicUrl,
   * `STORAGE__DELETE_ENABLED` -> storage.deleteEnabled.
   */
  envPrefix: string;
  env: Record<string, string | undefined>;
  /** Values from command-line flags, as dotted paths (`tls.certFile`); they win over everything. */
  overrides?: Record<string, unknown>;
  /** The flag that sets each dotted path (`dataDir` -> `--data`), so problems name what a user types. */
  flagNames?: Record<string, string>;
}

/** `storage.deleteEnabled` -> `OUTPOST_MAIN_STORAGE__DELETE_ENABLED`, the inverse of the env mapping. */
export const envNameOf = (prefix: string, path: string): string =>
  prefix +
  path
    .split('.')
    .map((key) => key.replace(/([A-Z])/g, '_$1').toUpperCase())
    .join('__');

const camel = (snake: string): string => snake.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function readFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`config file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Tree;
  } catch {
    throw new ConfigError([`config file ${file}: expected a JSON object`]);
  }
}

/** Merges the three sources, validates with `schema`, and returns a deeply frozen value. */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions): Readonly<z.infer<S>> {
  // Where each value came from, named as the user set it: a problem then points at the flag,
  // the variable or the file key to change, not at an internal path.
  const sources = new Map<string, string>();
  const tree: Tree = options.file ? readFile(options.file) : {};
  if (options.file) for (const path of leafPaths(tree)) sources.set(path, `"${path}" in ${options.file}`);
  for (const [name, value] of Object.entries(options.env)) {
    if (value === undefined || !name.startsWith(options.envPrefix)) continue;
    const path = name.slice(options.envPrefix.length).split('__').map(camel);
    setPath(tree, path, value);
    sources.set(path.join('.'), name);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    setPath(tree, path.split('.'), value);
    sources.set(path, options.flagNames?.[path] ?? path);
  }
  // A value that is absent is "required", not zod's "expected string, received undefined".
  const result = schema.safeParse(tree, { error: (issue) => (issue.input === undefined ? 'required' : undefined) });
  if (!result.success) {
    const describe = (path: string): string => {
      const source = sources.get(path);
      if (source !== undefined) return source;
      if (path === '') return '(root)';
      // A section (`tls`) is named as such; a single setting by the flag and variable that set it.
      if ([...sources.keys()].some((p) => p.startsWith(`${path}.`))) return path;
      const flag = options.flagNames?.[path];
      return `${flag ? `${flag} / ` : ''}${envNameOf(options.envPrefix, path)}`;
    };
    throw new ConfigError(
      result.error.issues.flatMap((issue) => {
        const path = issue.path.join('.');
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => `${describe(path ? `${path}.${key}` : key)}: not a setting`);
        }
        return [`${describe(path)}: ${issue.message}`];
      }),
    );
  }
  return deepFreeze(result.data);
}

/** Dotted paths of the values (not the sections) in a parsed JSON file. */
function leafPaths(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? leafPaths(value as Tree, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
