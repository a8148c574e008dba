import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startBalancer, type TestBalancer } from '../../helpers/nginx.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A replica stand-in that answers with its name and the body length it received. */
async function namedServer(name: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.on('end', () => res.end(JSON.stringify({ name, received, method: req.method })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url, server };
}

describe('the nginx load balancer of the replica tests', () => {
  it('spreads requests round robin, passes bodies of any size, and skips a replica that is down', async () => {
    const replicas = await Promise.all(['a', 'b', 'c'].map(namedServer));
    const balancer: TestBalancer = await startBalancer(replicas.map((r) => r.url));
    cleanups.push(() => balancer.stop());
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push(((await (await fetch(balancer.url)).json()) as { name: string }).name);
    expect(new Set(names)).toEqual(new Set(['a', 'b', 'c']));

    const body = Buffer.alloc(3 * 2 ** 20, 7);
    const answer = (await (await fetch(balancer.url, { method: 'PATCH', body })).json()) as { received: number };
    expect(answer.received).toBe(body.length);

    await new Promise((resolve) => replicas[1]!.server.close(resolve));
    replicas[1]!.server.closeAllConnections();
    const after: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(balancer.url, { method: 'PATCH', body: 'x' });
      expect(res.status).toBe(200);
      after.push(((await res.json()) as { name: string }).name);
    }
    expect(after).not.toContain('b');
  });
});
