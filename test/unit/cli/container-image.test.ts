/**
 * The Docker image's runtime contract, read from the Dockerfile itself (no engine is needed):
 * `docker run IMAGE main|edge ...` listens on every interface through the environment, the
 * health check finds the service there, and the shutdown grace ends before `docker stop`'s
 * SIGKILL.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../../edge/config.js';
import { loadMainConfig } from '../../../main/config.js';
import { healthUrls } from '../../../src/cli/container-health.js';

const DOCKERFILE = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
/** The final stage's instructions, continuation lines joined, comments dropped. */
const RUNTIME = DOCKERFILE.slice(DOCKERFILE.lastIndexOf('\nFROM '))
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'));
/** `docker stop` sends SIGKILL this long after SIGTERM unless told otherwise. */
const DOCKER_STOP_TIMEOUT_MS = 10_000;

function instruction(name: string): string[] {
  return RUNTIME.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1).trim());
}

/** The image's environment, as `docker run` starts the entrypoint with it. */
const IMAGE_ENV: Record<string, string> = Object.fromEntries(
  instruction('ENV').flatMap((line) => [...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
);

describe('the Docker image', () => {
  it('runs `main` with no --listen in CMD, so `docker run IMAGE main ...` keeps the listen address', () => {
    expect(instruction('ENTRYPOINT')).toEqual(['["outpost"]']);
    expect(instruction('CMD')).toEqual(['["main"]']);
    const config = loadMainConfig({}, { ...IMAGE_ENV, OUTPOST_MAIN_PUBLIC_URL: 'https://registry.example.com' });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 5000 });
    expect(config.dataDir).toBe('/data/main');
  });

  it('runs `edge ...` on every interface from the environment too', () => {
    const flags = { name: 'sg', upstream: 'https://registry.example.com', publicUrl: 'https://sg.example.com' };
    const config = loadEdgeConfig(flags, IMAGE_ENV);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 5001 });
    expect(config.dataDir).toBe('/data/edge');
  });

  it('ends the shutdown grace of both services before docker stop sends SIGKILL', () => {
    const main = loadMainConfig({}, { ...IMAGE_ENV, OUTPOST_MAIN_PUBLIC_URL: 'https://registry.example.com' });
    const edgeFlags = { name: 'sg', upstream: 'https://r.example.com', publicUrl: 'https://sg.example.com' };
    const edge = loadEdgeConfig(edgeFlags, IMAGE_ENV);
    // Closing LMDB and the upstream pool after the grace needs a moment of its own.
    expect(main.shutdownGraceMs).toBeLessThanOrEqual(DOCKER_STOP_TIMEOUT_MS - 2_000);
    expect(edge.shutdownGraceMs).toBeLessThanOrEqual(DOCKER_STOP_TIMEOUT_MS - 2_000);
  });

  it('checks health with the script that speaks HTTPS or HTTP, on the ports of the environment', () => {
    expect(instruction('HEALTHCHECK')[0]).toMatch(/CMD \["node", "\/app\/dist\/bin\/healthcheck\.js"\]$/);
    expect(healthUrls(IMAGE_ENV)).toEqual([
      'https://127.0.0.1:5000/health',
      'http://127.0.0.1:5000/health',
      'https://127.0.0.1:5001/health',
      'http://127.0.0.1:5001/health',
    ]);
  });

  it('copies into the build stage what `npm run build` runs', () => {
    const manifest = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    const { scripts } = JSON.parse(manifest) as { scripts: Record<string, string> };
    expect(scripts.build).toBe('node scripts/build.mjs');
    expect(DOCKERFILE).toContain('COPY scripts ./scripts');
  });
});

describe('healthUrls', () => {
  it('asks loopback for every interface, a given address directly, and OUTPOST_HEALTH_URL alone when set', () => {
    const both = (hostPort: string) => [`https://${hostPort}/health`, `http://${hostPort}/health`];
    expect(healthUrls({ OUTPOST_EDGE_LISTEN: '10.1.2.3:80' })).toEqual(both('10.1.2.3:80'));
    expect(healthUrls({ OUTPOST_MAIN_LISTEN: '[::]:5000' })).toEqual(both('[::1]:5000'));
    const explicit = 'https://127.0.0.1:9443/health';
    expect(healthUrls({ OUTPOST_MAIN_LISTEN: ':5000', OUTPOST_HEALTH_URL: explicit })).toEqual([explicit]);
    expect(healthUrls({ OUTPOST_HEALTH_PORT: '7000' })).toEqual(both('127.0.0.1:7000'));
  });
});
