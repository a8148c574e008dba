/**
 * @module Loads a service's configuration: file, then environment, then flags; validated and frozen.
 *
 * The only module that reads `process.env` (callers pass it in, so tests can too). Every
 * problem is reported at once, as `path: message` lines, and the service refuses to start.
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
  /** e.g. `OUTPOST_MAIN_`: `OUTPOST_MAIN_PUBLIC_URL` -> publicUrl, `STORAGE__DELETE_ENABLED` -> storage.deleteEnabled. */
  envPrefix: string;
  env: Record<string, string | undefined>;
  /** Values from command-line flags, as dotted paths (`tls.certFile`); they win over everything. */
  overrides?: Record<string, unknown>;
}

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
  const tree: Tree = options.file ? readFile(options.file) : {};
  for (const [name, value] of Object.entries(options.env)) {
    if (value === undefined || !name.startsWith(options.envPrefix)) continue;
    const path = name.slice(options.envPrefix.length).split('__').map(camel);
    setPath(tree, path, value);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(tree, path.split('.'), value);
  }
  const result = schema.safeParse(tree);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
