/**
 * @module Who may speak for an edge node on main (join, heartbeat, trouble reports): the caller
 * presents either a join token, valid for any name, or the node credential main issued to that
 * one node at its last join with a token (node-credentials.ts). Checked before anything else, so
 * a caller with neither learns nothing, not even whether the cache or the node exists.
 */
import { OciError } from '../../src/oci/errors.js';
import { nodesOf } from './cache-nodes.js';
import type { ContentCaches } from './content-caches.js';
import type { JoinTokens } from './join-tokens.js';
import { isNodeCredential, nodeCredentialMatches } from './node-credentials.js';

export interface EdgeClaim {
  token?: unknown;
  /** The cache (group) and node the caller speaks for; a node credential is only good for its own. */
  name?: unknown;
  nodeId?: unknown;
}

export type EdgeAuthority = 'join-token' | 'node-credential';

export function createEdgeAuth(caches: Pick<ContentCaches, 'get'>, tokens: JoinTokens) {
  async function credentialIsNodes({ token, name, nodeId }: EdgeClaim): Promise<boolean> {
    if (typeof name !== 'string' || typeof nodeId !== 'string') return false;
    const cache = await caches.get(name);
    const node = cache && nodesOf(cache).find((n) => n.id === nodeId);
    return nodeCredentialMatches(token, node?.credentialHash);
  }

  /** How the caller proved it may speak for the claimed node; throws UNAUTHORIZED when it did not. */
  return async function authenticateEdge(claim: EdgeClaim): Promise<EdgeAuthority> {
    if (isNodeCredential(claim.token)) {
      if (await credentialIsNodes(claim)) return 'node-credential';
      throw new OciError('UNAUTHORIZED', {
        message:
          'node credential refused: it is not the current credential of this node of this cache ' +
          '(register the edge again with a join token from `outpost main cache token create`)',
      });
    }
    if (await tokens.isValid(claim.token)) return 'join-token';
    throw new OciError('UNAUTHORIZED', {
      message: 'join token refused: it is unknown or has expired (create one with `outpost main cache token create`)',
    });
  };
}

export type AuthenticateEdge = ReturnType<typeof createEdgeAuth>;
