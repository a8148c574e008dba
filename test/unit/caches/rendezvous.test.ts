/**
 * Rendezvous hashing of digests over a group's nodes (main/caches/rendezvous.ts): an even split,
 * only a dead node's share moves, a joining node takes only its share, and a hot blob's first nodes.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pickNode, rankNodes, rendezvousNode } from '../../../main/caches/rendezvous.js';
import { createHotBlobs } from '../../../main/caches/hot-blobs.js';

const digests = (count: number, salt = 'blob') =>
  Array.from({ length: count }, (_, i) => `sha256:${createHash('sha256').update(`${salt}-${i}`).digest('hex')}`);
const group = (...ids: string[]) => ids.map((id) => rendezvousNode({ id }));
const assign = (nodes: ReturnType<typeof group>, list: string[]) =>
  new Map(list.map((d) => [d, pickNode(nodes, d)!.id]));
const counts = (assigned: Map<string, string>) => {
  const byNode = new Map<string, number>();
  for (const id of assigned.values()) byNode.set(id, (byNode.get(id) ?? 0) + 1);
  return byNode;
};

describe('pickNode', () => {
  it('splits 300 blobs over 3 nodes within 15% of even, for several sets of node ids', () => {
    for (const ids of [
      ['a', 'b', 'c'],
      ['node-3f2a9c01d2e4', 'node-77b1e0aa9f13', 'node-c0ffee001234'],
      ['eu-1', 'eu-2', 'eu-3'],
    ]) {
      const byNode = counts(assign(group(...ids), digests(300, ids[0])));
      expect([...byNode.keys()].sort()).toEqual([...ids].sort());
      for (const n of byNode.values()) expect(Math.abs(n - 100)).toBeLessThanOrEqual(15);
    }
  });

  it('splits many blobs within 4% of even over 3 and over 5 nodes (about 3.5 standard deviations)', () => {
    for (const ids of [
      ['a', 'b', 'c'],
      ['n1', 'n2', 'n3', 'n4', 'n5'],
    ]) {
      const total = 30_000;
      const even = total / ids.length;
      const byNode = counts(assign(group(...ids), digests(total, `many-${ids.length}`)));
      for (const n of byNode.values()) expect(Math.abs(n - even) / even).toBeLessThanOrEqual(0.04);
    }
  });

  it('gives the same node for a digest whatever the order the nodes are listed in', () => {
    const list = digests(50);
    expect(assign(group('a', 'b', 'c'), list)).toEqual(assign(group('c', 'a', 'b'), list));
  });

  it('moves only the blobs of a node that leaves, each to a remaining node', () => {
    const list = digests(300);
    const before = assign(group('a', 'b', 'c'), list);
    const after = assign(group('a', 'b'), list);
    for (const d of list) if (before.get(d) !== 'c') expect(after.get(d)).toBe(before.get(d));
    const moved = list.filter((d) => before.get(d) === 'c').map((d) => after.get(d));
    expect(new Set(moved)).toEqual(new Set(['a', 'b']));
  });

  it('gives a joining node only blobs it takes from the others, about its share', () => {
    const list = digests(300);
    const before = assign(group('a', 'b', 'c'), list);
    const after = assign(group('a', 'b', 'c', 'd'), list);
    const changed = list.filter((d) => before.get(d) !== after.get(d));
    for (const d of changed) expect(after.get(d)).toBe('d');
    expect(Math.abs(changed.length - 75)).toBeLessThanOrEqual(75 * 0.2);
  });

  it('skips nodes that are not usable, and answers undefined when none is', () => {
    const nodes = group('a', 'b', 'c');
    const list = digests(100);
    for (const d of list) expect(pickNode(nodes, d, (n) => n.id !== 'b')?.id).not.toBe('b');
    expect(pickNode(nodes, list[0]!, () => false)).toBeUndefined();
    expect(pickNode([], list[0]!)).toBeUndefined();
  });

  it("takes the blob's next node for a slot: the ranking's order", () => {
    const nodes = group('a', 'b', 'c');
    for (const d of digests(20)) {
      const ranking = rankNodes(nodes, d, 3).map((n) => n.id);
      expect(ranking[0]).toBe(pickNode(nodes, d)!.id);
      expect(pickNode(nodes, d, () => true, 1)!.id).toBe(ranking[1]);
      expect(pickNode(nodes, d, () => true, 5)!.id).toBe(ranking[2]);
      expect(pickNode(nodes, d, (n) => n.id !== ranking[1], 1)!.id).toBe(ranking[2]);
    }
  });
});

describe('hot blobs', () => {
  it('spreads a blob over its first nodes once it passes the rate within one second, not before', () => {
    let clock = 5_000;
    const hot = createHotBlobs(3, 2, () => clock);
    expect([1, 2, 3].map(() => hot.slot('sha256:x'))).toEqual([0, 0, 0]);
    expect([4, 5, 6, 7].map(() => hot.slot('sha256:x'))).toEqual([0, 1, 0, 1]);
    expect(hot.slot('sha256:y')).toBe(0);
    clock += 1_000;
    expect(hot.slot('sha256:x')).toBe(0);
  });

  it('never spreads when turned off', () => {
    const hot = createHotBlobs(0, 2, () => 0);
    for (let i = 0; i < 100; i++) expect(hot.slot('sha256:x')).toBe(0);
  });
});
