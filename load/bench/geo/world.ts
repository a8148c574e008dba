/**
 * @module The emulated world of the geo benchmark: main at home, a far region with an edge, a
 * floor registry and the clients, and one WAN link between them.
 *
 *   root namespace                                    region namespace
 *   outpost main  10.A.B.1:M  ◄── client relay :C ◄═╗   clients (skopeo, dockerd)
 *        ▲                                           ╠═ WAN link: RTT, rate, loss
 *        └──────────────────── edge relay :E   ◄═════╝   outpost edge 10.A.B.2  (upstream :E)
 *                                                        distribution 10.A.B.2  (the floor)
 *
 * Both relays cross the same `WanLink` (they share its bandwidth) and count their own bytes:
 * the client relay what clients exchange with main (tokens, manifests, direct blobs), the edge
 * relay what the edge fetches. Main's public URL (token realm and issuer) is the client relay's
 * address, so everything a client asks main goes over the WAN; the user `bench` has the region's
 * edge as its cache profile, so main answers its blob GETs with 307s to the edge. Inside the
 * region, traffic goes over the veth pair or loopback, unshaped (well under 1 ms).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { ADMIN_PASSWORD, basicAuth, CACHE_NAME, PASSWORD, USER } from '../cache-stacks.js';
import { startDistribution } from '../peers.js';
import { answersV2, freePort, spawnServer, type ServerProcess } from '../processes.js';
import type { ScenarioContext } from '../scenario.js';
import type { Region } from './netns.js';
import { startRelay, type Relay } from './relay.js';
import type { WanLink } from './wan-link.js';

export interface GeoWorld {
  main: ServerProcess;
  /** Main as clients in the region see it: `host:port` of the client relay. */
  mainHostPort: string;
  /** Main straight over the veth pair, no relay (for the admin API and pushes). */
  mainDirectUrl: string;
  clientRelay: Relay;
  edgeRelay: Relay;
  edge: ServerProcess;
  edgeDataDir: string;
  /** distribution in the region: the floor of a client there. */
  floor: ServerProcess;
  /** Stops the edge and starts an empty one (main is told its new URL). */
  replaceEdge(): Promise<void>;
  /** Closes the relays and starts new ones on the same ports across `link`. */
  replaceLink(link: WanLink): Promise<void>;
}

async function expectStatus(res: Awaited<ReturnType<typeof request>>, status: number, what: string): Promise<void> {
  const text = await res.body.text();
  if (res.statusCode !== status) throw new Error(`${what}: expected ${status}, got ${res.statusCode}: ${text}`);
}

export async function startGeoWorld(ctx: ScenarioContext, region: Region, link: WanLink): Promise<GeoWorld> {
  const dir = join(ctx.workDir, 'world');
  await mkdir(dir, { recursive: true });
  const mainPort = await freePort();
  const mainDirectUrl = `http://${region.rootAddress}:${mainPort}`;
  const relayTo = (target: number, listenPort = 0) =>
    startRelay({
      link,
      listenHost: region.rootAddress,
      listenPort,
      targetHost: region.rootAddress,
      targetPort: target,
      cleanup: ctx.cleanup,
    });
  let clientRelay = await relayTo(mainPort);
  let edgeRelay = await relayTo(mainPort);
  const publicUrl = `http://${clientRelay.hostPort}`;

  const main = await spawnServer({
    name: 'outpost main',
    command: process.execPath,
    args: [ctx.outpostBin, 'main', '--listen', `${region.rootAddress}:${mainPort}`, '--data', join(dir, 'main')].concat(
      ['--public-url', publicUrl],
    ),
    env: {
      OUTPOST_MAIN_AUTH__ENABLED: 'true',
      OUTPOST_ADMIN_PASSWORD: ADMIN_PASSWORD,
      OUTPOST_MAIN_CACHES__REDIRECT_TOKEN_LIFETIME: '30m',
    },
    cleanup: ctx.cleanup,
    ready: async () => ((await answersV2(mainDirectUrl)) ? mainDirectUrl : undefined),
  });
  const adminAuth = basicAuth('admin', ADMIN_PASSWORD);
  const api = async (method: 'POST' | 'PATCH', path: string, body: unknown, status: number) =>
    expectStatus(
      await request(`${mainDirectUrl}/api/v0${path}`, {
        method,
        headers: { authorization: adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
      status,
      `${method} /api/v0${path}`,
    );
  await api('POST', '/accounts', { name: USER, password: PASSWORD }, 201);

  let generation = 0;
  const startEdge = async () => {
    const edgeDataDir = join(dir, `edge-${generation++}`);
    const [command, args] = region.enter(process.execPath, [
      ctx.outpostBin,
      'edge',
      '--name',
      CACHE_NAME,
      '--upstream',
      `http://${edgeRelay.hostPort}`,
      '--issuer',
      publicUrl,
      '--listen',
      `${region.regionAddress}:0`,
      '--data',
      edgeDataDir,
    ]);
    const edge = await spawnServer({
      name: 'outpost edge (region)',
      command,
      args,
      cleanup: ctx.cleanup,
      readyTimeoutMs: 60_000,
      ready: async (output) => {
        const url = /"msg":"edge cache listening".*?"bindUrl":"([^"]+)"/.exec(output)?.[1];
        return url !== undefined && (await answersV2(url)) ? url : undefined;
      },
    });
    return { edge, edgeDataDir };
  };
  const first = await startEdge();
  await api('POST', '/content_caches', { name: CACHE_NAME, host: first.edge.url }, 201);
  await api('POST', `/accounts/${USER}/settings`, { defaultContentCache: CACHE_NAME }, 200);

  const floor = await startDistribution({
    dir: join(dir, 'floor'),
    cleanup: ctx.cleanup,
    host: region.regionAddress,
    enter: region.enter,
  });

  const world: GeoWorld = {
    main,
    mainHostPort: clientRelay.hostPort,
    mainDirectUrl,
    clientRelay,
    edgeRelay,
    edge: first.edge,
    edgeDataDir: first.edgeDataDir,
    floor,
    async replaceEdge() {
      await world.edge.stop();
      const next = await startEdge();
      world.edge = next.edge;
      world.edgeDataDir = next.edgeDataDir;
      await api('PATCH', `/content_caches/${CACHE_NAME}`, { host: next.edge.url }, 200);
    },
    async replaceLink(next) {
      const ports = [clientRelay, edgeRelay].map((r) => Number(r.hostPort.split(':')[1]));
      await clientRelay.close();
      await edgeRelay.close();
      link = next;
      clientRelay = await relayTo(mainPort, ports[0]);
      edgeRelay = await relayTo(mainPort, ports[1]);
      world.clientRelay = clientRelay;
      world.edgeRelay = edgeRelay;
    },
  };
  return world;
}
