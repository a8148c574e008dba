/**
 * @module An image config's bytes to what a person wants to know about the image (OCI
 * image-spec config.md; Docker's `application/vnd.docker.container.image.v1+json` has the same
 * fields). Pure: no I/O, never throws. A config that is not a JSON object gives `undefined`
 * (the caller reports "details unavailable"); a field of the wrong type is left out, since one odd
 * field must not hide the rest.
 */
import { maskSecretAssignments, toEnvEntries, type EnvEntry } from './secret-env.js';

/** One `history` entry of the config, as written by the builder. */
export interface HistoryEntry {
  created?: string;
  createdBy?: string;
  author?: string;
  comment?: string;
  /** The step changed no file: it produced no layer (`ENV`, `CMD`, `LABEL`...). */
  emptyLayer: boolean;
}

export interface ConfigDetails {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  author?: string;
  user?: string;
  workingDir?: string;
  entrypoint?: string[];
  cmd?: string[];
  /** In the config's order, secret-looking values masked (secret-env.ts). */
  env: EnvEntry[];
  /** `80/tcp`, `53/udp`..., sorted. */
  exposedPorts: string[];
  labels: Record<string, string>;
  history: HistoryEntry[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function historyEntry(value: unknown): HistoryEntry {
  const entry = isRecord(value) ? value : {};
  const out: HistoryEntry = { emptyLayer: entry.empty_layer === true };
  const created = str(entry.created);
  const createdBy = str(entry.created_by);
  const author = str(entry.author);
  const comment = str(entry.comment);
  if (created !== undefined) out.created = created;
  if (createdBy !== undefined) out.createdBy = maskSecretAssignments(createdBy);
  if (author !== undefined) out.author = author;
  if (comment !== undefined) out.comment = comment;
  return out;
}

/** The config's details, or undefined when the bytes are not a JSON object. */
export function parseImageConfig(bytes: Uint8Array): ConfigDetails | undefined {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(body)) return undefined;
  const run = isRecord(body.config) ? body.config : {};
  const details: ConfigDetails = {
    env: toEnvEntries(strings(run.Env) ?? []),
    exposedPorts: isRecord(run.ExposedPorts) ? Object.keys(run.ExposedPorts).sort() : [],
    labels: stringMap(run.Labels),
    history: Array.isArray(body.history) ? body.history.map(historyEntry) : [],
  };
  const optional = {
    os: str(body.os),
    architecture: str(body.architecture),
    variant: str(body.variant),
    created: str(body.created),
    author: str(body.author),
    user: str(run.User) || undefined,
    workingDir: str(run.WorkingDir) || undefined,
    entrypoint: strings(run.Entrypoint),
    cmd: strings(run.Cmd),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(details, { [key]: value });
  }
  return details;
}
