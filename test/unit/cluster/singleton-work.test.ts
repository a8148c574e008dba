import { describe, expect, it } from 'vitest';
import { startSingletonWork } from '../../../main/cluster/singleton-work.js';
import { createSingleProcessCoordinator } from '../../../main/metadata/lmdb/cluster.js';
import type { ClusterCoordinator } from '../../../main/metadata/cluster.js';
import { createLogger } from '../../../src/log/logger.js';
import { waitFor } from '../../helpers/wait-for.js';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line)) }) };
}

describe('the embedded installation as a cluster of one', () => {
  it('lists itself as the only replica, holds every lease and hears its own topics', async () => {
    const coordinator = createSingleProcessCoordinator(() => 1_000);
    await coordinator.heartbeat({ id: 'me', url: 'http://127.0.0.1:5000', version: '1', startedAt: 1 });
    expect(await coordinator.replicas(10)).toEqual([
      { id: 'me', url: 'http://127.0.0.1:5000', version: '1', startedAt: 1, lastSeenAt: 1_000, up: true },
    ]);
    expect(await coordinator.acquireLease('gc', 'me', 10)).toBe(true);
    const heard: string[] = [];
    const unsubscribe = coordinator.subscribe((t) => heard.push(t));
    await coordinator.publish('caches');
    unsubscribe();
    await coordinator.publish('keys');
    expect(heard).toEqual(['caches']);
  });
});

describe('periodic work on the lease holder', () => {
  it('runs the work every interval, keeps going after a failed run, and logs the failure', async () => {
    const { lines, logger } = capturingLogger();
    let runs = 0;
    const work = startSingletonWork({
      name: 'purge',
      holder: 'me',
      coordinator: createSingleProcessCoordinator(),
      intervalMs: 10,
      leaseMs: 30,
      logger,
      run: async () => {
        runs++;
        if (runs === 1) throw new Error('first run fails');
      },
    });
    await waitFor(() => runs >= 3, 'three runs');
    await work.stop();
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'periodic work failed', work: 'purge' }));
  });

  it('does nothing while another replica holds the lease, and pauses when the coordinator is unreachable', async () => {
    const { lines, logger } = capturingLogger();
    let reachable = true;
    let grant = true;
    let checks = 0;
    const coordinator: ClusterCoordinator = {
      ...createSingleProcessCoordinator(),
      acquireLease: async () => {
        checks++;
        if (!reachable) throw new Error('database unavailable');
        return grant;
      },
    };
    let runs = 0;
    const work = startSingletonWork({
      name: 'probe',
      holder: 'me',
      coordinator,
      intervalMs: 5,
      leaseMs: 30,
      logger,
      run: async () => {
        runs++;
      },
    });
    await waitFor(() => runs >= 1, 'a first run');
    reachable = false;
    await waitFor(() => !work.holding, 'the work to pause');
    const pausedAt = runs;
    grant = false;
    reachable = true;
    const checksBefore = checks;
    await waitFor(() => checks >= checksBefore + 3, 'three checks while another replica holds the lease');
    expect(runs).toBe(pausedAt);
    expect(work.holding).toBe(false);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'lost contact with the coordinator: pausing periodic work' }),
    );
    await work.stop();
  });

  it('waits for a run in progress when stopped, then gives the lease up', async () => {
    const released: string[] = [];
    const coordinator: ClusterCoordinator = {
      ...createSingleProcessCoordinator(),
      releaseLease: async (name) => {
        released.push(name);
      },
    };
    let finished = false;
    let started = false;
    const work = startSingletonWork({
      name: 'gc',
      holder: 'me',
      coordinator,
      intervalMs: 60_000,
      leaseMs: 30,
      logger: capturingLogger().logger,
      run: async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
      },
    });
    await waitFor(() => started, 'the run to start');
    await work.stop();
    expect(finished).toBe(true);
    expect(released).toEqual(['gc']);
  });
});
