/**
 * @module A TCP relay that carries connections across a `WanLink`: it accepts on one address,
 * connects to a target, and delivers each chunk, in each direction, when the link model says it
 * arrives. It counts the bytes that cross, per direction, which is what "bytes over the WAN" means
 * in the geo benchmark.
 *
 * Backpressure follows the model's window: a source socket is paused while its flow's window is
 * full and resumed as acknowledgements (RTT/2 after the destination socket took the bytes) free
 * it, so a relay never holds more than one window per connection and direction in memory.
 * Several relays may share one link (and so its bandwidth), each with its own counters.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Cleanup } from '../cleanup.js';
import { requestHead, responseHead, type RelayObserver } from './relay-trace.js';
import type { Flow, WanLink } from './wan-link.js';

export interface RelayCounts {
  connections: number;
  /** Bytes the clients sent toward the target. */
  bytesToTarget: number;
  /** Bytes the target sent back to the clients. */
  bytesFromTarget: number;
}

export interface Relay {
  /** `host:port` the relay accepts on. */
  readonly hostPort: string;
  counts(): RelayCounts;
  reset(): void;
  /** Reports connections and HTTP request and status lines to `observer` (none: stop). */
  observe(observer: RelayObserver | undefined): void;
  /** Closes the listener and destroys every connection. Idempotent. */
  close(): Promise<void>;
}

export interface RelayOptions {
  link: WanLink;
  /** Address to accept on (an address of the namespace the relay's process is in). */
  listenHost: string;
  /** Port to accept on; 0 for any. */
  listenPort?: number;
  targetHost: string;
  targetPort: number;
  cleanup?: Cleanup;
  /** Milliseconds since some origin; default performance.now. */
  now?: () => number;
}

/** Delivers one direction: `source` → link → `destination`. */
function pump(
  source: Socket,
  destination: Socket,
  flow: Flow,
  rttMs: number,
  now: () => number,
  count: (chunk: Buffer, sentMs: number, arrivalMs: number) => void,
) {
  const queue: { chunk: Buffer; at: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let sourceEnded = false;

  const deliver = () => {
    timer = undefined;
    while (queue.length > 0 && queue[0]!.at <= now()) {
      const { chunk } = queue.shift()!;
      if (destination.destroyed) return;
      destination.write(chunk, () => {
        const ack = setTimeout(() => {
          flow.acknowledged(chunk.byteLength);
          if (!flow.windowFull && !source.destroyed) source.resume();
        }, rttMs / 2);
        ack.unref();
      });
    }
    if (queue.length > 0) schedule();
    else if (sourceEnded && !destination.destroyed) destination.end();
  };
  const schedule = () => {
    if (timer !== undefined || queue.length === 0) return;
    timer = setTimeout(deliver, Math.max(0, queue[0]!.at - now()));
  };

  source.on('data', (chunk: Buffer) => {
    const sentMs = now();
    const at = flow.send(chunk.byteLength, sentMs);
    count(chunk, sentMs, at);
    queue.push({ chunk, at });
    if (flow.windowFull) source.pause();
    schedule();
  });
  source.on('end', () => {
    sourceEnded = true;
    if (queue.length === 0 && !destination.destroyed) destination.end();
  });
  // Bytes still on the link are delivered after their source closed, as a real link would.
  destination.once('close', () => {
    if (timer !== undefined) clearTimeout(timer);
    queue.length = 0;
  });
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const now = options.now ?? (() => performance.now());
  let counts: RelayCounts = { connections: 0, bytesToTarget: 0, bytesFromTarget: 0 };
  const sockets = new Set<Socket>();
  let observer: RelayObserver | undefined;
  /** Numbers connections for the observer, across `reset`. */
  let opened = 0;
  const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    counts.connections++;
    const connection = ++opened;
    observer?.({ kind: 'open', connection, atMs: now() });
    client.once('close', () => observer?.({ kind: 'close', connection, atMs: now() }));
    const target = connect({ port: options.targetPort, host: options.targetHost, allowHalfOpen: true });
    const { toTarget, fromTarget } = options.link.connection(now());
    for (const s of [client, target]) {
      sockets.add(s);
      s.once('close', () => {
        sockets.delete(s);
        // A reset on one side resets the other; a clean end was already forwarded by `pump`.
        if (s.errored) (s === client ? target : client).destroy();
      });
      s.on('error', () => {
        client.destroy();
        target.destroy();
      });
    }
    target.once('connect', () => {
      pump(client, target, toTarget, options.link.rttMs, now, (chunk, sentMs, arrivalMs) => {
        counts.bytesToTarget += chunk.byteLength;
        const head = observer && requestHead(chunk);
        if (head) observer?.({ kind: 'request', connection, atMs: sentMs, arrivalMs, ...head });
      });
      pump(target, client, fromTarget, options.link.rttMs, now, (chunk, sentMs, arrivalMs) => {
        counts.bytesFromTarget += chunk.byteLength;
        if (!observer) return;
        const head = responseHead(chunk);
        if (head) observer({ kind: 'response', connection, atMs: arrivalMs, sentMs, ...head });
        else observer({ kind: 'data', connection, atMs: arrivalMs, bytes: chunk.byteLength });
      });
      client.resume();
    });
    client.once('close', () => {
      if (!target.connecting) return;
      target.destroy();
    });
  });
  server.listen(options.listenPort ?? 0, options.listenHost);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return closed;
  };
  const closeEarly = options.cleanup?.defer(`close relay on ${options.listenHost}:${port}`, close) ?? close;
  return {
    hostPort: `${options.listenHost}:${port}`,
    counts: () => ({ ...counts }),
    reset: () => {
      counts = { connections: 0, bytesToTarget: 0, bytesFromTarget: 0 };
    },
    observe: (next) => {
      observer = next;
    },
    close: closeEarly,
  };
}
