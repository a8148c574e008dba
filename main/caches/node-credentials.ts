/**
 * @module Node credentials: what an edge node uses on main after it has joined, in place of the
 * join token. A join token is short-lived by design (join-tokens.ts), but a node heartbeats,
 * reports a failing upstream and registers again on restart for as long as it runs: with the join
 * token alone, all of that stopped working a day after the edge started.
 *
 * Main issues a credential when a node joins with a join token and keeps only its SHA-256 on the
 * node's record; the edge keeps the credential in its data directory. A credential speaks for its
 * one node of its one cache, nothing else, and is replaced at the node's next join with a token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of every node credential: tells it from a join token, and is easy to spot in a leak. */
export const NODE_CREDENTIAL_PREFIX = 'outpost-node-';

const MAX_CREDENTIAL_LENGTH = 200;

export const hashNodeCredential = (credential: string): string =>
  createHash('sha256').update(credential).digest('base64url');

export function newNodeCredential(): { credential: string; hash: string } {
  const credential = `${NODE_CREDENTIAL_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { credential, hash: hashNodeCredential(credential) };
}

/** Whether `value` has the shape of a node credential (which says nothing of whether it is valid). */
export const isNodeCredential = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(NODE_CREDENTIAL_PREFIX) && value.length <= MAX_CREDENTIAL_LENGTH;

/** Whether `credential` is the one whose hash the node keeps; compares hashes in constant time. */
export function nodeCredentialMatches(credential: unknown, storedHash: string | undefined): boolean {
  if (storedHash === undefined || !isNodeCredential(credential)) return false;
  const given = Buffer.from(hashNodeCredential(credential));
  const kept = Buffer.from(storedHash);
  return given.length === kept.length && timingSafeEqual(given, kept);
}
