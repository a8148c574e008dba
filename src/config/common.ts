/**
 * @module Configuration pieces both services share: listen address, TLS, data directory, logs.
 *
 * Each field is a zod schema that turns the operator's text into a typed value with its unit
 * in the name, so a service schema reads as a list of settings with their defaults.
 */
import { z } from 'zod';
import { parseBytes, parseDurationMs } from './units.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `HOST:PORT`, `:PORT` or `[::1]:PORT`. */
export const listenSchema = z.string().transform((value, ctx): ListenAddress => {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `expected HOST:PORT like 127.0.0.1:5000, got "${value}"` });
    return z.NEVER;
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
});

export const sizeSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseBytes(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size like 10GiB or 512MiB, got "${value}"` });
    return z.NEVER;
  }
  return bytes;
});

export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 2m or 24h, got "${value}"` });
    return z.NEVER;
  }
  return ms;
});

export const booleanSchema = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');

export const urlSchema = z.string().transform((value, ctx) => {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    return url.href.replace(/\/+$/, '');
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected an http(s) URL, got "${value}"` });
    return z.NEVER;
  }
});

export const tlsSchema = z
  .object({
    /** PEM certificate chain file; TLS is on when both files are set. */
    certFile: z.string().min(1).optional(),
    /** PEM private key file. */
    keyFile: z.string().min(1).optional(),
  })
  .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
    message: 'certFile and keyFile must be given together (--tls-cert with --tls-key)',
  });

export const logSchema = z.object({
  /** Lowest level written: debug, info, warn or error. Default info. */
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * Share of requests written to the access log (one info line each): 1 every request (the
   * default), 0 none, 0.1 about one in ten. `npm start` (outpost dev) sets 0 unless given.
   */
  accessSampleRate: z.coerce.number<string | number>().min(0).max(1).default(1),
});

export type TlsConfig = z.infer<typeof tlsSchema>;

/** `0.0.0.0`, `::` (and `:PORT`): every interface, an address no client can be sent to. */
export const isEveryInterface = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '';

/**
 * Without a public URL a service derives its URL from `listen`; on every interface that would be
 * `http://127.0.0.1:PORT`, which only this machine reaches, yet main puts it in tokens and
 * challenges and an edge registers it. Refused at start instead of failing later, far away.
 * `why` says what the URL is used for.
 */
export function requirePublicUrlOnEveryInterface(why: string) {
  return (config: { listen: ListenAddress; publicUrl?: string | undefined }, ctx: z.RefinementCtx): void => {
    const { host, port } = config.listen;
    if (config.publicUrl !== undefined || !isEveryInterface(host)) return;
    const address = host.includes(':') ? `[${host}]:${port}` : `${host || '0.0.0.0'}:${port}`;
    ctx.addIssue({
      code: 'custom',
      path: ['publicUrl'],
      message:
        `required when listening on every interface (${address}): ${why}, and no other machine reaches ` +
        `http://127.0.0.1:${port}; give the URL clients use, such as https://registry.example.com`,
    });
  };
}
