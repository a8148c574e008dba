/**
 * `outpost main jobs list|show|start`, run in-process through mainCli with captured output, on a
 * data directory no main serves yet: the job is recorded, and the main started next runs it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { prepareTestBackend, type TestBackend } from '../helpers/test-backend.js';
import { runMainCli } from '../helpers/main-cli.js';

let temp: TempDir;
let data: string;
let backend: TestBackend;

beforeAll(async () => {
  temp = await createTempDir('outpost-cli-jobs-');
  data = join(temp.path, 'data');
  backend = await prepareTestBackend(data);
});
afterAll(async () => {
  await backend.remove();
  await temp.remove();
});

const cli = (...args: string[]) => runMainCli(args, data, backend);

describe('outpost main jobs', () => {
  it('queues a job that the next main runs, and shows it before and after', async () => {
    const started = await cli('jobs', 'start', 'gc', '--param', 'dryRun=true', '--param', 'graceMs=0');
    expect(started).toMatchObject({ code: 0, err: '' });
    const id = started.out.trim();
    expect(id).toMatch(/^[0-9a-f]{20}$/);
    const list = await cli('jobs', 'list');
    expect(list.code).toBe(0);
    expect(list.out.split('\n')[0]).toMatch(/^ID\s+KIND\s+STATE\s+PROGRESS\s+STARTED BY\s+CREATED$/);
    expect(list.out).toMatch(new RegExp(`^${id}\\s+gc\\s+waiting\\s+0\\s+cli\\s`, 'm'));

    const main = await startTestMain({ dataDir: data });
    try {
      await main.service.jobs.runner.drain();
    } finally {
      await main.stop();
    }
    const shown = await cli('jobs', 'show', id);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('state:      done');
    expect(shown.out).toContain('params:     {"dryRun":true,"graceMs":0}');
    expect(shown.out).toMatch(/summary: {4}\{"scanned":0,"removed":0,"removedBytes":0,"dryRun":true\}/);
    expect(shown.out).toMatch(/log:\n {2}dry run: collecting/);
  });

  it('refuses unknown kinds, bad parameters and bad usage with status 2, an unknown job with 1', async () => {
    expect(await cli('jobs', 'start', 'mine-bitcoin')).toMatchObject({
      code: 2,
      err: 'outpost main jobs: unknown job kind "mine-bitcoin"\n',
    });
    expect((await cli('jobs', 'start', 'gc', '--param', 'dryRun=maybe')).err).toMatch(
      /^outpost main jobs: params: dryRun/,
    );
    expect((await cli('jobs', 'start', 'gc', '--param', 'novalue')).code).toBe(2);
    const warm = ['--param', 'cache=nowhere', '--param', 'repository=team/app', '--param', 'reference=v1'];
    expect(await cli('jobs', 'start', 'warm-cache', ...warm)).toMatchObject({
      code: 2,
      err: 'outpost main jobs: params: no content cache named "nowhere"\n',
    });
    expect(await cli('jobs', 'show', 'ffffffffffffffffffff')).toMatchObject({
      code: 1,
      err: 'outpost main jobs: no such job\n',
    });
    expect((await cli('jobs')).code).toBe(2);
    expect((await cli('jobs', 'list', '--param', 'a=1')).code).toBe(2);
    expect((await cli('user', 'list', '--param', 'a=1')).code).toBe(2);
  });
});
