/**
 * A chunked upload outlives the replica that was receiving it: the session lives in PostgreSQL
 * and its bytes in the shared blob directory, so after `kill -9` in the middle of a chunk another
 * replica reports how much was durably received (the `Range` of spec "Resuming an upload") and
 * the client continues from there with the same session. The torn chunk's bytes past that point
 * must not end up in the blob.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBlob } from '../../helpers/oci-fixtures.js';
import type { OutpostProcess } from '../../helpers/outpost-processes.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { REPLICA_ADMIN_PASSWORD, startReplicaSet, type ReplicaSet } from '../../helpers/replicas.js';
import { basicAuth } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/wait-for.js';

let postgres: TestPostgres;
let set: ReplicaSet;

beforeAll(async () => {
  postgres = await startPostgres();
  set = await startReplicaSet({ count: 3, databaseUrl: await postgres.createDatabase() });
});
afterAll(async () => {
  await set?.stop();
  await postgres?.remove();
});

const auth = basicAuth('admin', REPLICA_ADMIN_PASSWORD);
const repo = 'admin/resumed';

/**
 * Starts a PATCH of `chunk` at `offset` to `url` and sends only its first `sent` bytes: the
 * request stays open, as a client's whose connection broke mid-body. The returned promise
 * settles when the connection ends (with the error the kill causes).
 */
function startTornPatch(url: string, chunk: Uint8Array, offset: number, sent: number): Promise<unknown> {
  return new Promise((resolve) => {
    const req = request(url, {
      method: 'PATCH',
      headers: {
        Authorization: auth,
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(chunk.byteLength),
        'Content-Range': `${offset}-${offset + chunk.byteLength - 1}`,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', resolve);
    req.write(chunk.subarray(0, sent));
  });
}

describe('a chunked upload whose replica is killed in the middle of a chunk', () => {
  it('continues on another replica from the durable offset and completes with the right digest', async () => {
    const [a, b, c] = set.replicas as [OutpostProcess, OutpostProcess, OutpostProcess];
    const blob = randomBlob(6 * 2 ** 20);
    const chunk1 = blob.bytes.subarray(0, 2 * 2 ** 20);
    const chunk2 = blob.bytes.subarray(2 * 2 ** 20);

    // The session starts on A and takes its first chunk there.
    const started = await fetch(`${a.url}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
      headers: { Authorization: auth },
    });
    expect(started.status, await started.text()).toBe(202);
    const uuid = started.headers.get('docker-upload-uuid')!;
    const path = new URL(started.headers.get('location')!, a.url).pathname;
    const first = await fetch(`${a.url}${path}`, {
      method: 'PATCH',
      headers: { Authorization: auth, 'Content-Range': `0-${chunk1.byteLength - 1}` },
      body: chunk1,
    });
    expect(first.status, await first.text()).toBe(202);
    expect(first.headers.get('range')).toBe(`0-${chunk1.byteLength - 1}`);

    // The second chunk is half sent when A dies: A has written part of it to the shared store.
    const torn = startTornPatch(`${a.url}${path}`, chunk2, chunk1.byteLength, chunk2.byteLength / 2);
    const sessionFile = join(set.blobs, 'uploads', uuid);
    await waitFor(
      async () => ((await stat(sessionFile).catch(() => undefined))?.size ?? 0) > chunk1.byteLength,
      'part of the second chunk to reach the shared store',
    );
    await a.stop('SIGKILL');
    await torn;

    // B reports only the durable bytes: the first chunk.
    const status = await fetch(`${b.url}${path}`, { headers: { Authorization: auth } });
    expect(status.status, await status.text()).toBe(204);
    expect(status.headers.get('range')).toBe(`0-${chunk1.byteLength - 1}`);
    expect(status.headers.get('docker-upload-uuid')).toBe(uuid);

    // The client resends the second chunk to B and closes the upload on C.
    const second = await fetch(`${b.url}${path}`, {
      method: 'PATCH',
      headers: { Authorization: auth, 'Content-Range': `${chunk1.byteLength}-${blob.bytes.byteLength - 1}` },
      body: chunk2,
    });
    expect(second.status, await second.text()).toBe(202);
    expect(second.headers.get('range')).toBe(`0-${blob.bytes.byteLength - 1}`);
    const closed = await fetch(`${c.url}${path}?digest=${blob.digest}`, {
      method: 'PUT',
      headers: { Authorization: auth },
    });
    expect(closed.status, await closed.text()).toBe(201);
    expect(closed.headers.get('docker-content-digest')).toBe(blob.digest);

    // Through the balancer (which must route around the dead replica), the blob reads back whole.
    const pulled = await fetch(`${set.url}/v2/${repo}/blobs/${blob.digest}`, { headers: { Authorization: auth } });
    expect(pulled.status).toBe(200);
    const bytes = Buffer.from(await pulled.arrayBuffer());
    expect(bytes.byteLength).toBe(blob.bytes.byteLength);
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(blob.digest);
  });
});
