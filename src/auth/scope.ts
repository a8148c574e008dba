/**
 * @module Token scopes and access entries (Docker token authentication spec, "Scope").
 *
 * `repository:<name>:<actions>` where name may itself contain no colon; actions are a
 * comma-separated list. A scope whose name fails the registry's name grammar is dropped rather
 * than passed on, so nothing a client writes in `scope=` can reach a permission lookup unchecked.
 */
import { isRepoName } from '../oci/reference.js';

export type Action = 'pull' | 'push' | 'delete' | '*';

/** One entry of a token's `access` claim. */
export interface AccessEntry {
  type: 'repository' | 'registry';
  name: string;
  actions: Action[];
}

const ACTIONS: ReadonlySet<string> = new Set(['pull', 'push', 'delete', '*']);

/** Parses one `scope` value (which may hold several space-separated scopes). Invalid ones are skipped. */
export function parseScopes(value: string): AccessEntry[] {
  const entries: AccessEntry[] = [];
  for (const scope of value.split(' ').filter(Boolean)) {
    const first = scope.indexOf(':');
    const last = scope.lastIndexOf(':');
    if (first <= 0 || last === first) continue;
    const type = scope.slice(0, first);
    // `repository(plugin):name` carries a resource class in parentheses; the class is ignored.
    const bareType = type.replace(/\([a-z0-9]+\)$/, '');
    const name = scope.slice(first + 1, last);
    const actions = scope
      .slice(last + 1)
      .split(',')
      .filter((a) => ACTIONS.has(a)) as Action[];
    if (bareType === 'repository' && isRepoName(name) && actions.length > 0)
      entries.push({ type: 'repository', name, actions });
    else if (bareType === 'registry' && name === 'catalog' && actions.length > 0)
      entries.push({ type: 'registry', name, actions });
  }
  return mergeEntries(entries);
}

export function formatScope(entry: AccessEntry): string {
  return `${entry.type}:${entry.name}:${entry.actions.join(',')}`;
}

/** Merges entries naming the same resource (docker sends one scope per action sometimes). */
export function mergeEntries(entries: AccessEntry[]): AccessEntry[] {
  const merged = new Map<string, AccessEntry>();
  for (const entry of entries) {
    const id = `${entry.type}:${entry.name}`;
    const existing = merged.get(id);
    if (existing) existing.actions = [...new Set([...existing.actions, ...entry.actions])];
    else merged.set(id, { ...entry, actions: [...new Set(entry.actions)] });
  }
  return [...merged.values()];
}

/** Whether `granted` contains every action in `needed` for the resource (`*` grants all). */
export function grants(
  granted: readonly AccessEntry[],
  type: AccessEntry['type'],
  name: string,
  needed: readonly Action[],
): boolean {
  const entry = granted.find((e) => e.type === type && e.name === name);
  if (!entry) return false;
  return entry.actions.includes('*') || needed.every((a) => entry.actions.includes(a));
}
