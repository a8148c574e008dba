/**
 * @module `outpost main vulndb import`: reads OSV records from a source (./osv-sources.ts) into a new
 * generation of the database and makes it current only once every record was read; anything that fails
 * (a file that is not OSV, one too large, a broken zip, the backend) aborts the import and the database in
 * use stays. Records that affect no ecosystem outpost matches are counted and skipped; a record id seen
 * twice keeps its first copy.
 */
import type { GenerationSummary, VulnDbStore } from '../metadata/vulndb.js';
import { indexKeys, NotOsvError, readOsvRecord, type Advisory } from './osv.js';
import { readOsvSource, VulnDbSourceError } from './osv-sources.js';
import type { VulnDbStatus } from './types.js';

export interface ImportProgress {
  /** JSON texts read. */
  records: number;
  /** Advisories stored so far. */
  advisories: number;
  /** Records of other ecosystems, and repeated ids. */
  skipped: number;
}

export interface ImportOptions {
  /** Largest OSV record read (default 16 MiB: Debian's largest records are a few hundred KiB). */
  maxEntryBytes?: number;
  /** Called every `progressEvery` records and once at the end. */
  onProgress?: (progress: ImportProgress) => void;
  progressEvery?: number;
  now?: () => Date;
}

export interface ImportResult {
  status: VulnDbStatus;
  progress: ImportProgress;
}

const BATCH = 500;

/** Throws `VulnDbSourceError` for input that cannot be imported; nothing is changed then. */
export async function importVulnDb(
  source: string,
  store: VulnDbStore,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const { maxEntryBytes = 16 * 2 ** 20, onProgress, progressEvery = 5_000, now = () => new Date() } = options;
  const progress: ImportProgress = { records: 0, advisories: 0, skipped: 0 };
  const ecosystems: Record<string, number> = {};
  const seen = new Set<string>();
  let newest: string | null = null;
  let batch: { advisory: Advisory; keys: { family: string; name: string }[] }[] = [];
  const job = await store.beginImport();
  try {
    for await (const entry of readOsvSource(source, maxEntryBytes)) {
      progress.records++;
      for (const advisory of parseEntry(entry.name, entry.text)) {
        if (advisory === undefined || seen.has(advisory.id)) {
          progress.skipped++;
          continue;
        }
        seen.add(advisory.id);
        for (const eco of new Set(advisory.affected.map((a) => a.ecosystem)))
          ecosystems[eco] = (ecosystems[eco] ?? 0) + 1;
        if (newest === null || Date.parse(advisory.modified) > Date.parse(newest)) newest = advisory.modified;
        batch.push({ advisory, keys: indexKeys(advisory) });
        progress.advisories++;
      }
      if (batch.length >= BATCH) {
        await job.add(batch);
        batch = [];
      }
      if (progress.records % progressEvery === 0) onProgress?.({ ...progress });
    }
    if (batch.length > 0) await job.add(batch);
    if (progress.records === 0) throw new VulnDbSourceError('not-a-source', `${source}: no OSV records (.json) found`);
    const summary: GenerationSummary = {
      importedAt: now().toISOString(),
      newestAdvisoryAt: newest,
      advisoryCount: progress.advisories,
      ecosystems: Object.fromEntries(Object.entries(ecosystems).sort(([a], [b]) => a.localeCompare(b))),
    };
    const status = await job.commit(summary);
    onProgress?.({ ...progress });
    return { status, progress };
  } catch (err) {
    await job.abort().catch(() => {});
    throw err;
  }
}

/** One record, or a JSON list of them (as the OSV API answers); undefined for a record outpost skips. */
function parseEntry(name: string, text: string): (Advisory | undefined)[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new VulnDbSourceError('not-osv', `${name} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  try {
    return Array.isArray(json) ? json.map(readOsvRecord) : [readOsvRecord(json)];
  } catch (err) {
    if (err instanceof NotOsvError) throw new VulnDbSourceError('not-osv', `${name}: ${err.message}`, { cause: err });
    throw err;
  }
}
