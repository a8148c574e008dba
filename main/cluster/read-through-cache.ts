/**
 * @module Memory in front of a metadata owner whose backend is a network away (PostgreSQL),
 * for the reads every request makes (who the user is, which cache they pull from, what the
 * settings say, whether a repository is public), invalidated across replicas.
 *
 * `cacheReads(store, { topic, reads, writes, coordinator })` returns the same interface. Each
 * method named in `reads` answers from memory when it can; each method named in `writes`
 * publishes `topic` once it succeeds, and every replica (this one included) then drops what it
 * remembered for that topic. Everything else passes through. A lost invalidation channel
 * (topic `*`) drops everything, and entries expire after `ttlMs` whatever happens, which bounds
 * how stale a replica can be if a notification is ever lost.
 *
 * The price: a change made on one replica reaches the others' memory when its notification
 * arrives (milliseconds), not in the same instant. Reads that must be exact (sign-in, the
 * writes' own checks) do not go through here.
 */
import { LRUCache } from 'lru-cache';
import { ALL_TOPICS, type ClusterCoordinator } from '../metadata/cluster.js';

// biome-ignore lint/suspicious/noExplicitAny: method signatures of any owner interface
type AnyMethod = (...args: any[]) => Promise<unknown>;
type MethodName<T> = { [K in keyof T]: T[K] extends AnyMethod ? K : never }[keyof T] & string;

export interface ReadCacheOptions<T> {
  /** The invalidation topic this owner's writes publish. */
  topic: string;
  reads: readonly MethodName<T>[];
  writes: readonly MethodName<T>[];
  coordinator: ClusterCoordinator;
  /** How long an entry may be served without a notification (default 30 s). */
  ttlMs?: number;
  /** Entries kept at most (default 20,000). */
  max?: number;
  /** Whether an `undefined` answer is remembered (default false: "not found yet" is asked again). */
  cacheMisses?: boolean;
}

const MISS = Symbol('undefined');

export function cacheReads<T extends object>(store: T, options: ReadCacheOptions<T>): T {
  const memory = new LRUCache<string, object | typeof MISS>({
    max: options.max ?? 20_000,
    ttl: options.ttlMs ?? 30_000,
  });
  // Bumped by every invalidation: a read that started before it must not store its answer.
  let generation = 0;
  options.coordinator.subscribe((topic) => {
    if (topic !== options.topic && topic !== ALL_TOPICS) return;
    generation++;
    memory.clear();
  });
  const reads = new Set<string>(options.reads);
  const writes = new Set<string>(options.writes);
  const wrapped = new Map<string, AnyMethod>();

  const read = (name: string, method: AnyMethod): AnyMethod =>
    async function cachedRead(...args: unknown[]) {
      const key = `${name}\u0000${JSON.stringify(args)}`;
      const hit = memory.get(key);
      if (hit !== undefined) return hit === MISS ? undefined : structuredClone(hit);
      const started = generation;
      const value = await method.apply(store, args);
      if (started === generation && (value !== undefined || options.cacheMisses)) {
        memory.set(key, value === undefined ? MISS : structuredClone(value as object));
      }
      return value;
    };

  const write = (method: AnyMethod): AnyMethod =>
    async function publishingWrite(...args: unknown[]) {
      try {
        return await method.apply(store, args);
      } finally {
        // Also after a failure: a write that failed late (a lost connection at commit) may have
        // committed, and an extra invalidation costs one read.
        generation++;
        memory.clear();
        await options.coordinator.publish(options.topic).catch(() => {});
      }
    };

  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || typeof value !== 'function') return value;
      if (!reads.has(property) && !writes.has(property)) return value;
      let method = wrapped.get(property);
      if (!method) {
        method = reads.has(property) ? read(property, value as AnyMethod) : write(value as AnyMethod);
        wrapped.set(property, method);
      }
      return method;
    },
  });
}
