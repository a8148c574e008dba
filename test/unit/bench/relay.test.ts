import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../../../load/bench/cleanup.js';
import { startRelay, type Relay } from '../../../load/bench/geo/relay.js';
import { WanLink } from '../../../load/bench/geo/wan-link.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP server on 127.0.0.1 that answers every byte it receives with the same byte plus one. */
async function plusOneServer(): Promise<{ port: number; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => socket.write(chunk.map((b) => (b + 1) & 0xff)));
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, server };
}

async function relayTo(port: number, cleanup?: Cleanup): Promise<Relay> {
  const relay = await startRelay({
    link: new WanLink({ rttMs: 4, rateBitsPerSecond: 0 }),
    listenHost: '127.0.0.1',
    targetHost: '127.0.0.1',
    targetPort: port,
    ...(cleanup && { cleanup }),
  });
  cleanups.push(() => relay.close());
  return relay;
}

/** Sends `bytes` through `hostPort`, half-closes, and returns everything received until the end. */
async function exchange(hostPort: string, bytes: Buffer): Promise<Buffer> {
  const [host, port] = hostPort.split(':');
  const socket = connect(Number(port), host!);
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  await once(socket, 'connect');
  socket.end(bytes);
  await once(socket, 'close');
  return Buffer.concat(received);
}

describe('the geo benchmark relay', () => {
  it('carries bytes both ways unchanged, in order, and counts what crossed in each direction', async () => {
    const { port } = await plusOneServer();
    const relay = await relayTo(port);
    const sent = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff;
    const received = await exchange(relay.hostPort, sent);
    expect(received.equals(sent.map((b) => (b + 1) & 0xff))).toBe(true);
    expect(relay.counts()).toEqual({ connections: 1, bytesToTarget: sent.length, bytesFromTarget: sent.length });

    await exchange(relay.hostPort, Buffer.from('ab'));
    expect(relay.counts()).toEqual({
      connections: 2,
      bytesToTarget: sent.length + 2,
      bytesFromTarget: sent.length + 2,
    });
    relay.reset();
    expect(relay.counts()).toEqual({ connections: 0, bytesToTarget: 0, bytesFromTarget: 0 });
  });

  it('closes the connections it carries and stops accepting when closed', async () => {
    const { port } = await plusOneServer();
    const relay = await relayTo(port);
    const [host, relayPort] = relay.hostPort.split(':');
    const open = connect(Number(relayPort), host!);
    await once(open, 'connect');
    open.write('x');
    await once(open, 'data');
    const closed = once(open, 'close');
    await relay.close();
    await closed;
    const refused = connect(Number(relayPort), host!);
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it("is closed by the run's Cleanup it registered with", async () => {
    const { port } = await plusOneServer();
    const cleanup = new Cleanup();
    const relay = await relayTo(port, cleanup);
    const messages: string[] = [];
    await cleanup.runAll((m) => messages.push(m));
    expect(messages).toEqual([]);
    const [host, relayPort] = relay.hostPort.split(':');
    const refused = connect(Number(relayPort), host!);
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('refuses to start on an address already in use', async () => {
    const { port } = await plusOneServer();
    await expect(
      startRelay({
        link: new WanLink({ rttMs: 0, rateBitsPerSecond: 0 }),
        listenHost: '127.0.0.1',
        listenPort: port,
        targetHost: '127.0.0.1',
        targetPort: port,
      }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
