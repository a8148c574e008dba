/**
 * The edge's node id (edge/node-id.ts): `--node-id` when given, else the id kept in the data
 * directory, made once (owner-only file); a file that does not hold an id stops the start.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeIdOf } from '../../../edge/node-id.js';
import { loadEdgeConfig } from '../../../edge/config.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
beforeEach(async () => {
  temp = await createTempDir('outpost-node-id-');
});
afterEach(async () => {
  await temp.remove();
});

describe('nodeIdOf', () => {
  it('makes an id once, keeps it in <data>/node-id for the owner only, and gives it back after', async () => {
    const id = await nodeIdOf(temp.path);
    expect(id).toMatch(/^node-[0-9a-f]{12}$/);
    expect((await readFile(join(temp.path, 'node-id'), 'utf8')).trim()).toBe(id);
    expect((await stat(join(temp.path, 'node-id'))).mode & 0o077).toBe(0);
    expect(await nodeIdOf(temp.path)).toBe(id);
  });

  it('takes the configured id without touching the data directory', async () => {
    expect(await nodeIdOf(temp.path, 'sg-a')).toBe('sg-a');
    await expect(readFile(join(temp.path, 'node-id'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a node-id file that does not hold an id', async () => {
    await writeFile(join(temp.path, 'node-id'), 'Not An Id\n');
    await expect(nodeIdOf(temp.path)).rejects.toThrow(/node-id: "Not An Id" is not a node id; remove the file/);
  });
});

describe('edge config nodeId', () => {
  const base = { name: 'eu', upstream: 'http://127.0.0.1:5000' };

  it('takes --node-id and the heartbeat interval', () => {
    const config = loadEdgeConfig({ ...base, nodeId: 'eu-1' }, { OUTPOST_EDGE_HEARTBEAT_INTERVAL: '2s' });
    expect([config.nodeId, config.heartbeatIntervalMs]).toEqual(['eu-1', 2_000]);
    expect(loadEdgeConfig(base, {}).heartbeatIntervalMs).toBe(5_000);
  });

  it('refuses a node id that is not one, naming the flag', () => {
    expect(() => loadEdgeConfig({ ...base, nodeId: 'EU/1' }, {})).toThrow(/--node-id/);
  });
});
