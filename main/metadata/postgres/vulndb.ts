/**
 * @module `VulnDbStore` on PostgreSQL (tables: ./vulndb-schema.ts). An import inserts its generation's
 * rows in batches (one statement per table per batch, arrays unnested), then `commit` flips the states
 * in one transaction: the new generation becomes 'current' and the one it replaces is deleted (its
 * advisories and index rows go by cascade), with any import that has not committed for a day. A lookup
 * is one statement, so it reads one snapshot whatever commits meanwhile.
 */
import type { Advisory } from '../../vulndb/osv.js';
import type { VulnDbStatus } from '../../vulndb/types.js';
import {
  EMPTY_VULNDB_STATUS,
  newGeneration,
  packageKeyString,
  type GenerationSummary,
  type PackageKey,
  type VulnDbImport,
  type VulnDbStore,
} from '../vulndb.js';
import type { PostgresDatabase } from './database.js';

function toStatus(row: { generation: string; summary: GenerationSummary } | undefined): VulnDbStatus {
  if (!row) return { ...EMPTY_VULNDB_STATUS };
  // jsonb keeps an object's keys in its own order: give them back sorted, as the import wrote them.
  const ecosystems = Object.fromEntries(Object.entries(row.summary.ecosystems).sort(([a], [b]) => a.localeCompare(b)));
  return { generation: row.generation, ...row.summary, ecosystems };
}

export function createPostgresVulnDbStore(db: PostgresDatabase): VulnDbStore {
  const removeGeneration = async (generation: string): Promise<void> => {
    await db.query('DELETE FROM vulndb_generations WHERE generation = $1', [generation]);
  };
  return {
    async status() {
      const rows = await db.query<{ generation: string; summary: GenerationSummary }>(
        `SELECT generation, summary FROM vulndb_generations WHERE state = 'current'`,
      );
      return toStatus(rows[0]);
    },

    async beginImport(): Promise<VulnDbImport> {
      const generation = newGeneration();
      await db.query(`INSERT INTO vulndb_generations (generation, state) VALUES ($1, 'importing')`, [generation]);
      return {
        generation,
        async add(batch) {
          const ids: string[] = [];
          const bodies: string[] = [];
          const families: string[] = [];
          const names: string[] = [];
          const keyIds: string[] = [];
          for (const { advisory, keys } of batch) {
            ids.push(advisory.id);
            bodies.push(JSON.stringify(advisory));
            for (const k of keys) {
              families.push(k.family);
              names.push(k.name);
              keyIds.push(advisory.id);
            }
          }
          await db.transaction(async (tx) => {
            await tx.query(
              `INSERT INTO vulndb_advisories (generation, id, advisory)
               SELECT $1, id, body::jsonb FROM unnest($2::text[], $3::text[]) AS t(id, body)`,
              [generation, ids, bodies],
            );
            await tx.query(
              `INSERT INTO vulndb_packages (generation, family, name, id)
               SELECT $1, f, n, i FROM unnest($2::text[], $3::text[], $4::text[]) AS t(f, n, i)
               ON CONFLICT DO NOTHING`,
              [generation, families, names, keyIds],
            );
          });
        },
        async commit(summary) {
          await db.transaction(async (tx) => {
            // Deleted first: the partial unique index allows one 'current' at a time.
            await tx.query(
              `DELETE FROM vulndb_generations
               WHERE state = 'current' OR (state = 'importing' AND started_at < now() - interval '1 day')`,
            );
            const updated = await tx.query(
              `UPDATE vulndb_generations SET state = 'current', summary = $2 WHERE generation = $1 RETURNING generation`,
              [generation, JSON.stringify(summary)],
            );
            if (updated.length === 0) throw new Error(`vulndb generation ${generation} vanished before its commit`);
          });
          return { generation, ...summary };
        },
        abort: () => removeGeneration(generation),
      };
    },

    async lookup(keys: PackageKey[]) {
      const rows = await db.query<{ generation: string | null; family: string; name: string; advisory: Advisory }>(
        `WITH cur AS (SELECT generation FROM vulndb_generations WHERE state = 'current')
         SELECT cur.generation, p.family, p.name, a.advisory
         FROM cur
         LEFT JOIN vulndb_packages p ON p.generation = cur.generation
           AND (p.family, p.name) IN (SELECT * FROM unnest($1::text[], $2::text[]))
         LEFT JOIN vulndb_advisories a ON a.generation = p.generation AND a.id = p.id`,
        [keys.map((k) => k.family), keys.map((k) => k.name)],
      );
      const advisories = new Map<string, Advisory[]>();
      for (const row of rows) {
        if (row.advisory === null || row.advisory === undefined) continue;
        const k = packageKeyString(row);
        const list = advisories.get(k);
        if (list) list.push(row.advisory);
        else advisories.set(k, [row.advisory]);
      }
      return { generation: rows[0]?.generation ?? null, advisories };
    },
  };
}
