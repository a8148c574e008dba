/**
 * @module The policy when authentication is switched off (`auth.enabled: false`): every client
 * acts as an administrator. Only for isolated test and development setups; main logs a warning.
 */
import type { AccessPolicy } from '../middleware/access.js';

export const openAccessPolicy: AccessPolicy = async () => ({
  principal: { kind: 'user', name: 'admin', isAdmin: true },
  may: async () => true,
  mayList: async () => true,
});
