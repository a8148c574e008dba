/**
 * @module geo: what an edge buys a far region. Main at home, an edge and clients in a region
 * behind an emulated WAN link (150 ms RTT, 100 Mbit/s by default; see geo/world.ts and
 * geo/wan-link.ts), a realistic image (10 layers, 400 MiB, incompressible; geo/image.ts).
 *
 * Columns: via the region's edge (the user `bench`, whose cache profile is the edge, pulls from
 * main and follows its 307s), direct from main over the WAN (`admin`, no cache profile), and the
 * client's floor: the same client pulling from a registry in its own namespace (distribution
 * there, no WAN). Rows: skopeo and docker, one client cold and hot, ten clients cold and hot,
 * WAN bytes, and the loss variant. Not in the default run (about 20 minutes): `--only geo`.
 */
import { join } from 'node:path';
import { PASSWORD, readMetric, USER, ADMIN_PASSWORD } from '../cache-stacks.js';
import { DISTRIBUTION, SKOPEO, type Requirement } from '../processes.js';
import { numberParam, SampleTable, type Scenario, type ScenarioContext } from '../scenario.js';
import { skopeoPush } from '../skopeo.js';
import { median } from '../stats.js';
import { DOCKERD, startDocker, type Docker } from '../geo/docker.js';
import { DEFAULT_IMAGE_MIB, writeGeoImage } from '../geo/image.js';
import { createRegion, removeStale } from '../geo/netns.js';
import { pullers, REPO, TAG, type PullOutcome, type PullTarget, type SkopeoDestination } from '../geo/pulls.js';
import { formatTrace, summarizeTrace, type RelayEvent } from '../geo/relay-trace.js';
import { WanLink } from '../geo/wan-link.js';
import { startGeoWorld, type GeoWorld } from '../geo/world.js';

const EDGE = 'via edge';
const DIRECT = 'direct from main';
const FLOOR = 'floor (own namespace)';
const PEERS = [EDGE, DIRECT, FLOOR] as const;

const IP: Requirement = { binary: 'ip', debianPackage: 'iproute2' };
const NSENTER: Requirement = { binary: 'nsenter', debianPackage: 'util-linux' };

const row = {
  cold: (client: string) => `${client}, 1 client, cold (s)`,
  hot: (client: string) => `${client}, 1 client, hot (s)`,
  manyCold: (n: number) => `skopeo, ${n} clients at once, cold (s)`,
  manyHot: (n: number) => `skopeo, ${n} clients at once, hot (s)`,
  manyRatio: (n: number) => `skopeo, ${n} cold clients / 1 cold client`,
  wan: 'WAN bytes from main per cold pull / image, 1 client',
  wanMany: (n: number) => `WAN bytes from main / image, ${n} cold clients`,
  upstream: "edge's upstream body bytes per cold pull / image",
  lossCold: (loss: number) => `skopeo, ${loss}% loss, 1 client, cold (s)`,
  hotRequests: (client: string) => `${client} hot via edge: requests to main`,
  hotConnections: (client: string) => `${client} hot via edge: connections to main`,
  hotWaiting: (client: string) => `${client} hot via edge: time waiting on main / RTT`,
};

function yesNo(params: Readonly<Record<string, string>>, key: string, fallback: boolean): boolean {
  const raw = params[key];
  if (raw === undefined) return fallback;
  if (raw !== 'yes' && raw !== 'no') throw new Error(`--param ${key}: expected yes or no, got "${raw}"`);
  return raw === 'yes';
}

/** Bytes main sent into the region (both relays) since their last reset. */
const wanBytes = (world: GeoWorld) =>
  world.clientRelay.counts().bytesFromTarget + world.edgeRelay.counts().bytesFromTarget;

const resetRelays = (world: GeoWorld) => {
  world.clientRelay.reset();
  world.edgeRelay.reset();
};

/**
 * Watches what crosses the WAN during a hot pull via the edge, until the returned function is
 * called: it records the requests and connections the client made to main and how long it
 * waited on them (in RTTs), and logs every event if `--param trace=yes`.
 */
function watchHotPull(world: GeoWorld, record: (label: string, value: number) => void, log?: (line: string) => void) {
  const client: RelayEvent[] = [];
  const edge: RelayEvent[] = [];
  world.clientRelay.observe((e) => client.push(e));
  world.edgeRelay.observe((e) => edge.push(e));
  return (who: string, rttMs: number) => {
    world.clientRelay.observe(undefined);
    world.edgeRelay.observe(undefined);
    const { requests, connections, waitingMs } = summarizeTrace(client);
    record(row.hotRequests(who), requests);
    record(row.hotConnections(who), connections);
    record(row.hotWaiting(who), waitingMs / rttMs);
    if (!log) return;
    const origin = Math.min(...[...client, ...edge].map((e) => e.atMs));
    for (const line of formatTrace(client, 'client→main', origin)) log(line);
    for (const line of formatTrace(edge, 'edge→main', origin)) log(line);
  };
}

interface Settings {
  rttMs: number;
  rateMbit: number;
  lossPercent: number;
  imageMiB: number;
  clients: number;
  docker: boolean;
  skopeoDest: SkopeoDestination;
  trace: boolean;
}

function skopeoDestination(raw: string): SkopeoDestination {
  if (raw !== 'oci' && raw !== 'dir') throw new Error(`--param skopeo-dest: expected oci or dir, got "${raw}"`);
  return raw;
}

function settingsOf(ctx: ScenarioContext): Settings {
  return {
    rttMs: numberParam(ctx.params, 'rtt', 150),
    rateMbit: numberParam(ctx.params, 'rate', 100),
    lossPercent: numberParam(ctx.params, 'loss', 0.5),
    imageMiB: numberParam(ctx.params, 'image-mib', DEFAULT_IMAGE_MIB),
    clients: numberParam(ctx.params, 'clients', 10),
    docker: yesNo(ctx.params, 'docker', true),
    skopeoDest: skopeoDestination(ctx.params['skopeo-dest'] ?? 'oci'),
    trace: yesNo(ctx.params, 'trace', false),
  };
}

export const geo: Scenario = {
  name: 'geo',
  title: 'a far region behind an emulated WAN: pulls via its edge vs direct from main vs the client floor',
  requires: [SKOPEO, DISTRIBUTION, IP, NSENTER],
  params: {
    rtt: 'round-trip time of the WAN link, ms (default 150; also --rtt)',
    rate: 'bandwidth of the WAN link per direction, Mbit/s (default 100; also --rate)',
    loss: 'segment loss of the loss variant, percent (default 0.5; also --loss)',
    'image-mib': `size of the 10-layer image, MiB (default ${DEFAULT_IMAGE_MIB})`,
    clients: 'clients pulling at once in the many-clients rows (default 10)',
    docker: 'yes: also pull with docker (Debian docker.io) in the region (default yes)',
    'skopeo-dest': 'oci (a layout directory, up to 6 blobs at once) or dir (one blob at a time); default oci',
    trace: 'yes: log what crosses the WAN during each skopeo hot pull via the edge (requests, connections)',
  },

  async run(ctx) {
    const s = settingsOf(ctx);
    if (s.docker && DOCKERD.find?.() === undefined)
      throw new Error('dockerd is missing (Debian package docker.io): run `npm run bench:setup`, or --param docker=no');
    const stale = await removeStale();
    if (stale.length > 0) ctx.log(`removed namespaces left by killed runs: ${stale.join(', ')}`);
    const clean = () => new WanLink({ rttMs: s.rttMs, rateBitsPerSecond: s.rateMbit * 1e6 });
    const lossy = () => new WanLink({ rttMs: s.rttMs, rateBitsPerSecond: s.rateMbit * 1e6, loss: s.lossPercent / 100 });

    const region = await createRegion(ctx.cleanup, ctx.signal);
    ctx.log(`region namespace ${region.netns}: ${region.rootAddress} ↔ ${region.regionAddress}`);
    const world = await startGeoWorld(ctx, region, clean());
    ctx.log(`writing a ${s.imageMiB} MiB image and pushing it to main and to the floor registry`);
    const image = await writeGeoImage(join(ctx.workDir, 'image'), TAG, s.imageMiB);
    const push = { timeoutMs: 900_000, signal: ctx.signal, cleanup: ctx.cleanup };
    const layout = `oci:${join(ctx.workDir, 'image')}:${TAG}`;
    await skopeoPush(layout, new URL(world.mainDirectUrl).host, `${REPO}:${TAG}`, {
      ...push,
      creds: `${USER}:${PASSWORD}`,
    });
    await skopeoPush(layout, world.floor.hostPort, `${REPO}:${TAG}`, push);

    const user: PullTarget = { hostPort: world.mainHostPort, creds: `${USER}:${PASSWORD}` };
    const admin: PullTarget = { hostPort: world.mainHostPort, creds: `admin:${ADMIN_PASSWORD}` };
    const floor: PullTarget = { hostPort: world.floor.hostPort };
    const pull = pullers(ctx, region, s.skopeoDest);
    let docker: Docker | undefined;
    if (s.docker) {
      docker = await startDocker(join(ctx.workDir, 'docker'), region, ctx.cleanup);
    }

    const table = new SampleTable(PEERS);
    const hotRows = (who: string) => [row.hot(who), row.hotRequests(who), row.hotConnections(who), row.hotWaiting(who)];
    for (const label of [
      row.cold('skopeo'),
      ...hotRows('skopeo'),
      row.manyCold(s.clients),
      row.manyHot(s.clients),
      ...(s.docker ? [row.cold('docker'), ...hotRows('docker')] : []),
    ])
      table.declare(label);
    const failures = new Map<string, number>();
    let failed = 0;
    /** The time of a (multi-client) pull; its failed clients are counted and their errors noted. */
    const measured = async (what: string, outcome: Promise<PullOutcome>) => {
      const { seconds, failures: errors } = await outcome;
      for (const error of errors) {
        failed++;
        ctx.log(`a skopeo client failed (${what}): ${error}`);
        const key = `${what}: ${error.replace(/sha256:[0-9a-f]{64}/g, (d) => d.slice(0, 19))}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
      return seconds;
    };
    const coldOnes: number[] = [];
    const manyColds: number[] = [];
    const upstreamPerImage: number[] = [];

    for (let rep = 0; rep < ctx.reps; rep++) {
      ctx.signal.throwIfAborted();
      const say = (what: string, seconds: number) => ctx.log(`rep ${rep + 1}: ${what}: ${seconds.toFixed(2)} s`);

      const floorTime = await measured('floor', pull.skopeo(floor));
      say('skopeo floor', floorTime);
      resetRelays(world);
      const direct = await measured('direct', pull.skopeo(admin));
      say('skopeo direct', direct);
      table.record(row.wan, DIRECT, wanBytes(world) / image.blobBytes);

      await world.replaceEdge();
      resetRelays(world);
      const cold = await measured('cold via edge', pull.skopeo(user));
      say('skopeo cold via edge', cold);
      table.record(row.wan, EDGE, wanBytes(world) / image.blobBytes);
      const upstream = await readMetric(world.edge.url, 'outpost_edge_upstream_bytes_total');
      table.record(row.upstream, EDGE, upstream / image.blobBytes);
      upstreamPerImage.push(upstream / image.blobBytes);
      const redirected = await readMetric(world.mainDirectUrl, 'outpost_main_redirects_total{cache="bench"}');
      if (redirected === 0)
        throw new Error('main did not redirect the pull to the edge (outpost_main_redirects_total)');
      const recordEdge = (label: string, value: number) => table.record(label, EDGE, value);
      const traceLog = (who: string) =>
        s.trace ? (line: string) => ctx.log(`rep ${rep + 1}: ${who}: ${line}`) : undefined;
      const watched = watchHotPull(world, recordEdge, traceLog('skopeo hot trace'));
      const hot = await measured('hot via edge', pull.skopeo(user));
      say('skopeo hot via edge', hot);
      watched('skopeo', s.rttMs);
      for (const [label, value] of [
        [row.cold('skopeo'), cold],
        [row.hot('skopeo'), hot],
      ] as const) {
        table.record(label, EDGE, value);
        table.record(label, DIRECT, direct);
        table.record(label, FLOOR, floorTime);
      }
      coldOnes.push(cold);

      await world.replaceEdge();
      resetRelays(world);
      const manyCold = await measured(`${s.clients} clients cold via edge`, pull.skopeo(user, s.clients));
      say(`skopeo ${s.clients} clients cold`, manyCold);
      table.record(row.wanMany(s.clients), EDGE, wanBytes(world) / image.blobBytes);
      const manyHot = await measured(`${s.clients} clients hot via edge`, pull.skopeo(user, s.clients));
      say(`skopeo ${s.clients} clients hot`, manyHot);
      table.record(row.manyCold(s.clients), EDGE, manyCold);
      table.record(row.manyHot(s.clients), EDGE, manyHot);
      table.record(row.manyRatio(s.clients), EDGE, manyCold / cold);
      manyColds.push(manyCold);

      if (docker) {
        try {
          const dFloor = await pull.docker(docker, floor);
          const dDirect = await pull.docker(docker, admin);
          await world.replaceEdge();
          resetRelays(world);
          const dCold = await pull.docker(docker, user);
          const dWatched = watchHotPull(world, recordEdge, traceLog('docker hot trace'));
          const dHot = await pull.docker(docker, user);
          dWatched('docker', s.rttMs);
          ctx.log(
            `rep ${rep + 1}: docker floor ${dFloor.toFixed(2)}, direct ${dDirect.toFixed(2)}, ` +
              `cold ${dCold.toFixed(2)}, hot ${dHot.toFixed(2)} s`,
          );
          for (const [label, value] of [
            [row.cold('docker'), dCold],
            [row.hot('docker'), dHot],
          ] as const) {
            table.record(label, EDGE, value);
            table.record(label, DIRECT, dDirect);
            table.record(label, FLOOR, dFloor);
          }
        } catch (err) {
          ctx.signal.throwIfAborted();
          // A docker pull failing is a finding to report, not a reason to lose the skopeo figures.
          const message = (err as Error).message.trim().split('\n').at(-1)!.slice(0, 300);
          ctx.log(`rep ${rep + 1}: a docker pull failed: ${message}`);
          failures.set(`docker: ${message}`, (failures.get(`docker: ${message}`) ?? 0) + 1);
          failed++;
        }
      }

      await world.replaceLink(lossy());
      const lossDirect = await measured('loss, direct', pull.skopeo(admin));
      await world.replaceEdge();
      const lossCold = await measured('loss, cold via edge', pull.skopeo(user));
      say(`skopeo ${s.lossPercent}% loss: direct ${lossDirect.toFixed(2)} s, cold via edge`, lossCold);
      table.record(row.lossCold(s.lossPercent), EDGE, lossCold);
      table.record(row.lossCold(s.lossPercent), DIRECT, lossDirect);
      await world.replaceLink(clean());
    }

    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: {
        rtt: s.rttMs,
        rate: s.rateMbit,
        loss: s.lossPercent,
        'image-mib': s.imageMiB,
        clients: s.clients,
        'skopeo-dest': s.skopeoDest,
      },
      notes: [
        ...notes(s, image.blobBytes, table, coldOnes, manyColds, upstreamPerImage),
        `pulls that failed (skopeo clients, docker pulls): ${failed}` +
          (failed > 0
            ? ` (the times above include them): ${[...failures].map(([k, n]) => `${n}× ${k}`).join('; ')}`
            : ''),
      ],
    };
  },
};

function notes(
  s: Settings,
  imageBytes: number,
  table: SampleTable,
  coldOnes: number[],
  manyColds: number[],
  upstream: number[],
): string[] {
  const medianOf = (label: string, peer: string) =>
    median(table.metrics().find((m) => m.label === label)?.samples[peer] ?? []);
  const goal = (what: string, value: number, limit: number) =>
    `goal ${what} ≤ ${limit.toFixed(2)}×: ${value.toFixed(2)}× (${value <= limit ? 'met' : 'missed'})`;
  const lines = [
    `WAN link: ${s.rttMs} ms RTT, ${s.rateMbit} Mbit/s each way, shared by every connection; ` +
      'a user-space relay (load/bench/geo/wan-link.ts): propagation, a shared serializer, per-connection ' +
      'slow start up to a 4 MiB window, restarted after idle as Linux does by default; loss adds a ' +
      'retransmission stall (RTT + 200 ms) in order, without the window halving of real TCP (so the loss row ' +
      'is optimistic for both columns).',
    `Image: 10 uncompressed tar layers of random bytes (${s.imageMiB} MiB in all, a few large, many small), ` +
      `${imageBytes} bytes of blobs; pushed once to main and to the floor registry.`,
    'floor: the same client in the region pulling from distribution (docker-registry) in the region, no WAN. ' +
      'direct: `admin` (no cache profile) pulls from main over the WAN. via edge: `bench` pulls from main ' +
      "over the WAN (tokens, manifest, one 307 per blob) and the blobs from the region's edge.",
    `skopeo copies to a fresh ${s.skopeoDest}: directory; docker pulls into its own dockerd (vfs) in the region, ` +
      'every image removed before each pull; `sync` before each pull.',
    goal('skopeo hot via edge / floor', medianOf(row.hot('skopeo'), EDGE) / medianOf(row.hot('skopeo'), FLOOR), 1.1),
    goal(
      'skopeo cold via edge / direct',
      medianOf(row.cold('skopeo'), EDGE) / medianOf(row.cold('skopeo'), DIRECT),
      1.05,
    ),
    goal(`${s.clients} cold clients / 1 cold client`, median(manyColds) / median(coldOnes), 1.2),
    `skopeo hot via edge is ${(medianOf(row.hot('skopeo'), DIRECT) / medianOf(row.hot('skopeo'), EDGE)).toFixed(1)}× ` +
      'faster than direct (goal: more than 10×).',
    'hot via edge, requests and connections to main, and the time the client waited on main (from each ' +
      "connection's open to its response, overlaps counted once) in RTTs: skopeo and docker send `Connection: " +
      'close` on every request, so each costs a new connection, 2 RTT; `--param trace=yes` logs every request.',
    `edge upstream body bytes per cold pull: ${median(upstream).toFixed(4)}× the image (goal 1.00×); the WAN rows ` +
      'count every TCP byte main sent into the region (headers, tokens, manifests included).',
  ];
  if (s.docker)
    lines.push(
      goal('docker hot via edge / floor', medianOf(row.hot('docker'), EDGE) / medianOf(row.hot('docker'), FLOOR), 1.1),
    );
  return lines;
}
