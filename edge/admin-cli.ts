/**
 * @module `outpost edge warm|pin|unpin|purge|stats`: the operator's commands, run against a
 * running edge's admin API (edge/routes/admin.ts) with the operator token from a file.
 *
 * Main credentials (for warm and for pinning by reference) come from `--username` and
 * `--password-stdin`; they are sent to the edge in the request body and printed nowhere.
 */
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { formatBytes } from '../src/config/units.js';
import { isDigest } from '../src/oci/digest.js';
import { PasswordInputError, readPassword } from '../src/cli/read-password.js';
import { bodyOfFetched, readResponseJson, readResponseText, ResponseTooLargeError } from '../src/http/read-response.js';

export const ADMIN_COMMANDS = new Set(['warm', 'pin', 'unpin', 'purge', 'stats']);

export const ADMIN_USAGE = [
  '       outpost edge warm REF [admin options]          pre-pull name:tag, name@digest, or every tag of name',
  '       outpost edge pin DIGEST|REF ... [admin options] keep blobs from eviction (a REF is warmed, then pinned)',
  '       outpost edge unpin DIGEST|REF ... [admin options]',
  '       outpost edge purge DIGEST ... [admin options]  remove blobs from the cache',
  '       outpost edge stats [admin options]             what the cache holds',
  '',
  'Admin options (for warm, pin, unpin, purge, stats):',
  '  --edge URL               the running edge (default http://127.0.0.1:5001)',
  '  --token-file FILE        the operator token (default: OUTPOST_EDGE_ADMIN_TOKEN_FILE)',
  '  --username USER          your user on main, for warm and for pin/unpin by REF',
  "  --password-stdin         read that user's password from standard input",
  "  --json                   print the edge's JSON answers (NDJSON for warm) as they come",
  'Exit status: 0 done, 1 failed (a blob not pulled, an edge or main refusal), 2 bad usage.',
].join('\n');

export interface AdminCliOptions {
  edge?: string;
  tokenFile?: string;
  username?: string;
  passwordStdin?: boolean;
  json?: boolean;
}

export interface AdminCliIo {
  out(text: string): void;
  err(text: string): void;
  stdin: Readable;
}

class UsageError extends Error {}

interface Client {
  call(method: string, path: string, body?: unknown): Promise<Response>;
}

// The edge's answers are small JSON documents (a resolve lists the blobs of an image, a few
// hundred bytes each): more is not the edge's answer, and is not read. A warm streams one short
// line per blob, so it is each line, not the whole answer, that has a limit.
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const MAX_WARM_LINE_BYTES = 64 * 1024;

const answerText = (res: Response, what: string) =>
  readResponseText(bodyOfFetched(res), MAX_ANSWER_BYTES, `the edge's answer to ${what}`);
const answerJson = (res: Response, what: string) =>
  readResponseJson(bodyOfFetched(res), MAX_ANSWER_BYTES, `the edge's answer to ${what}`);

/** The message of an error answer (the OCI envelope), or its status. */
async function describeFailure(res: Response): Promise<string> {
  const text = await answerText(res, 'a failed request');
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code: string; message: string }> };
    const first = body.errors?.[0];
    if (first) return `${first.code}: ${first.message}`;
  } catch {
    // not JSON: fall through to the status
  }
  return `HTTP ${res.status}`;
}

function blobLine(line: { digest: string; size: number; status: string; error?: string; pinned?: boolean }): string {
  const status = line.status.padEnd(15);
  const tail =
    line.status === 'failed' ? `  ${line.error ?? ''}` : `  ${formatBytes(line.size)}${line.pinned ? '  pinned' : ''}`;
  return `${status} ${line.digest}${tail}\n`;
}

/** POST /warm and print its progress; resolves with the number of failed blobs. */
async function warm(
  client: Client,
  io: AdminCliIo,
  options: AdminCliOptions,
  reference: string,
  credentials: object,
  pin: boolean,
): Promise<number> {
  const res = await client.call('POST', '/warm', { reference, pin, ...credentials });
  if (res.status !== 200) {
    io.err(`outpost edge: warm ${reference}: ${await describeFailure(res)}\n`);
    return 1;
  }
  let failed = 0;
  let buffered = '';
  const decoder = new TextDecoder();
  const handle = (text: string) => {
    if (text === '') return;
    if (options.json) io.out(`${text}\n`);
    const line = JSON.parse(text) as Record<string, unknown>;
    if (line.type === 'summary') {
      failed = line.failed as number;
      if (!options.json) {
        io.out(
          `warmed ${line.reference}: ${line.blobs} blobs in ${line.manifests} manifests ` +
            `(${line.cached} pulled, ${line.alreadyCached} already cached, ${line.failed} failed), ` +
            `${formatBytes(line.bytes as number)} pulled\n`,
        );
      }
    } else if (!options.json) {
      io.out(blobLine(line as never));
    }
  };
  // Lines are printed as they arrive, so a long warm shows its progress.
  const body = bodyOfFetched(res);
  for await (const chunk of body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const text of lines) handle(text);
    if (buffered.length > MAX_WARM_LINE_BYTES) {
      body.destroy();
      throw new ResponseTooLargeError(`a line of the edge's answer to warm ${reference}`, MAX_WARM_LINE_BYTES);
    }
  }
  handle(buffered);
  return failed > 0 ? 1 : 0;
}

async function setPins(
  client: Client,
  io: AdminCliIo,
  options: AdminCliOptions,
  targets: string[],
  pinned: boolean,
  credentials: object,
): Promise<number> {
  let status = 0;
  for (const target of targets) {
    if (!isDigest(target)) {
      if (pinned) {
        status = Math.max(status, await warm(client, io, options, target, credentials, true));
        continue;
      }
      const res = await client.call('POST', '/resolve', { reference: target, ...credentials });
      if (res.status !== 200) {
        io.err(`outpost edge: unpin ${target}: ${await describeFailure(res)}\n`);
        status = 1;
        continue;
      }
      const { blobs } = (await answerJson(res, `resolve ${target}`)) as { blobs: Array<{ digest: string }> };
      for (const { digest } of blobs) {
        const unpin = await client.call('DELETE', `/pins/${digest}`);
        // Blobs of the image that are not cached have nothing to unpin.
        if (unpin.status === 404) io.out(`not cached      ${digest}\n`);
        else if (unpin.ok) {
          io.out(options.json ? `${await answerText(unpin, `unpin ${digest}`)}\n` : `unpinned        ${digest}\n`);
        } else {
          io.err(`outpost edge: unpin ${digest}: ${await describeFailure(unpin)}\n`);
          status = 1;
        }
      }
      continue;
    }
    const res = await client.call(pinned ? 'PUT' : 'DELETE', `/pins/${target}`);
    if (!res.ok) {
      io.err(`outpost edge: ${pinned ? 'pin' : 'unpin'} ${target}: ${await describeFailure(res)}\n`);
      status = 1;
      continue;
    }
    const what = `${pinned ? 'pin' : 'unpin'} ${target}`;
    io.out(
      options.json
        ? `${await answerText(res, what)}\n`
        : `${pinned ? 'pinned' : 'unpinned'}`.padEnd(16) + `${target}\n`,
    );
  }
  return status;
}

async function purge(client: Client, io: AdminCliIo, digests: string[]): Promise<number> {
  let status = 0;
  for (const digest of digests) {
    const res = await client.call('DELETE', `/blobs/${digest}`);
    if (res.status === 204) {
      io.out(`purged          ${digest}\n`);
    } else {
      io.err(`outpost edge: purge ${digest}: ${await describeFailure(res)}\n`);
      status = 1;
    }
  }
  return status;
}

async function stats(client: Client, io: AdminCliIo, options: AdminCliOptions): Promise<number> {
  const res = await client.call('GET', '/stats');
  if (!res.ok) {
    io.err(`outpost edge: stats: ${await describeFailure(res)}\n`);
    return 1;
  }
  const body = (await answerJson(res, 'stats')) as {
    name: string;
    blobs: number;
    bytes: number;
    maxBytes: number;
    pinned: number;
    hits: number;
  };
  if (options.json) {
    io.out(`${JSON.stringify(body)}\n`);
    return 0;
  }
  io.out(
    `name:    ${body.name}\nblobs:   ${body.blobs} (${body.pinned} pinned)\nbytes:   ${body.bytes} ` +
      `(${formatBytes(body.bytes)} of ${formatBytes(body.maxBytes)})\nhits:    ${body.hits}\n`,
  );
  return 0;
}

/** Runs one admin command; returns the exit status. */
export async function runAdminCommand(
  command: string,
  args: string[],
  options: AdminCliOptions,
  env: Record<string, string | undefined>,
  io: AdminCliIo,
): Promise<number> {
  try {
    const tokenFile = options.tokenFile ?? env.OUTPOST_EDGE_ADMIN_TOKEN_FILE;
    if (!tokenFile)
      throw new UsageError('--token-file FILE is required (the operator token the edge was started with)');
    let token: string;
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new UsageError(`${tokenFile}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (options.passwordStdin && !options.username) throw new UsageError('--password-stdin needs --username');
    if (options.username && !options.passwordStdin) throw new UsageError('--username needs --password-stdin');
    const credentials = options.username
      ? { username: options.username, password: await readPassword(io.stdin, io.err) }
      : {};
    const base = (options.edge ?? 'http://127.0.0.1:5001').replace(/\/+$/, '');
    const client: Client = {
      call: (method, path, body) =>
        fetch(`${base}/api/v0/cache${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        }),
    };
    switch (command) {
      case 'warm':
        if (args.length !== 1) throw new UsageError('warm takes one reference: name:tag, name@digest or name');
        return await warm(client, io, options, args[0]!, credentials, false);
      case 'pin':
      case 'unpin':
        if (args.length === 0) throw new UsageError(`${command} takes one or more digests or references`);
        return await setPins(client, io, options, args, command === 'pin', credentials);
      case 'purge':
        if (args.length === 0 || !args.every(isDigest)) throw new UsageError('purge takes one or more digests');
        return await purge(client, io, args);
      case 'stats':
        if (args.length !== 0) throw new UsageError('stats takes no arguments');
        return await stats(client, io, options);
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof PasswordInputError) {
      io.err(`outpost edge ${command}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ResponseTooLargeError) {
      io.err(`outpost edge ${command}: ${err.message}\n`);
      return 1;
    }
    // fetch rejects with a TypeError whose cause says why (ECONNREFUSED, a bad URL...).
    if (err instanceof TypeError) {
      const cause = err.cause as NodeJS.ErrnoException | undefined;
      io.err(`outpost edge ${command}: cannot reach the edge (${cause?.code ?? cause?.message ?? err.message})\n`);
      return 1;
    }
    throw err;
  }
}
