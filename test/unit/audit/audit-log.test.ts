/** `createAuditLog` over the LMDB audit store: batched writes, nothing lost on stop, clipped fields, a log line each. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../main/audit/audit-log.js';
import { createLmdbAuditStore } from '../../../main/metadata/lmdb/audit.js';
import { openMainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import type { AuditStore } from '../../../main/metadata/audit.js';
import { createLogger } from '../../../src/log/logger.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let env: ReturnType<typeof openMainEnvironment>;
let store: AuditStore;
let lines: Record<string, unknown>[];
const logger = createLogger({ write: (line) => void lines.push(JSON.parse(line)) });

beforeEach(async () => {
  temp = await createTempDir('outpost-audit-log-');
  env = openMainEnvironment(join(temp.path, 'db'));
  store = createLmdbAuditStore(env.root);
  lines = [];
});
afterEach(async () => {
  await env.close();
  await temp.remove();
});

describe('createAuditLog', () => {
  it('queues records without writing them, and writes every queued one on stop', async () => {
    const audit = createAuditLog({ store, logger, flushAfterMs: 3_600_000 });
    for (let i = 0; i < 3; i++) audit.record({ type: 'auth.sign-in', actor: `u${i}`, outcome: 'failure' });
    expect((await store.list({ limit: 10 })).events).toEqual([]);
    await audit.stop();
    const { events } = await store.list({ limit: 10 });
    expect(events.map((e) => e.actor).sort()).toEqual(['u0', 'u1', 'u2']);
  });

  it('writes what is queued before answering a list', async () => {
    const audit = createAuditLog({ store, logger, flushAfterMs: 3_600_000 });
    audit.record({ type: 'admin.settings', actor: 'admin', target: '/admin/settings', outcome: 'success' });
    expect((await audit.list({ limit: 10 })).events).toMatchObject([{ type: 'admin.settings', actor: 'admin' }]);
    await audit.stop();
  });

  it('logs each event at info as it is recorded, and clips long fields', async () => {
    const audit = createAuditLog({ store, logger });
    audit.record({ type: 'registry.refused', actor: 'x'.repeat(1000), outcome: 'failure', detail: { status: 403 } });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', log: 'audit', msg: 'registry.refused', status: 403 }),
    ]);
    await audit.stop();
    const [event] = (await store.list({ limit: 1 })).events;
    expect(event!.actor.length).toBeLessThanOrEqual(257);
  });

  it('applies the retention after writing', async () => {
    const audit = createAuditLog({ store, logger, retention: { maxEvents: 2, maxAgeMs: 3_600_000 } });
    for (let i = 0; i < 5; i++) audit.record({ type: 'auth.sign-in', actor: `u${i}`, outcome: 'success' });
    await audit.stop();
    expect((await store.list({ limit: 10 })).events).toHaveLength(2);
  });
});
