/**
 * scripts/build.mjs, which `npm start`, `npx outpost` and the test setup run first: it compiles
 * dist/ when it is missing or older than a source, says so on stderr, and does nothing when
 * nothing changed. Run on a copy of the sources, so the real dist/ is never touched.
 */
import { spawnSync } from 'node:child_process';
import { cp, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COPIED = ['src', 'main', 'edge', 'bin', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

let copy: TempDir;
beforeAll(async () => {
  copy = await createTempDir('outpost-build-');
  for (const entry of COPIED) await cp(join(REPO_ROOT, entry), join(copy.path, entry), { recursive: true });
  await symlink(join(REPO_ROOT, 'node_modules'), join(copy.path, 'node_modules'));
});
afterAll(async () => {
  await copy?.remove();
});

function run(script: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(copy.path, 'scripts', script), ...args], {
    cwd: copy.path,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What the script would say about dist/ now, without building. */
function staleReason(): string {
  const script = JSON.stringify(join(copy.path, 'scripts', 'build.mjs'));
  const probe = `import(${script}).then((m) => process.stdout.write(String(m.staleReason())))`;
  return spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).stdout;
}

describe('scripts/build.mjs --if-stale', () => {
  it('compiles a missing dist/ saying so, skips while nothing changed, and notices a changed source', async () => {
    const first = run('build.mjs', '--if-stale');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toMatch(
      /^outpost: compiling TypeScript into dist\/ \(dist\/ does not exist yet; takes 5 to 30 seconds\)\.\.\.\n/,
    );
    expect(first.stderr).toMatch(/outpost: built dist\/ in [\d.]+ s\n$/);

    expect(staleReason()).toBe('undefined');
    const again = run('build.mjs', '--if-stale');
    expect(again).toEqual({ code: 0, stdout: '', stderr: '' });
    // npx outpost: the command's own output only, nothing about building.
    const version = run('outpost.mjs', '--version');
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^outpost \d+\.\d+\.\d+\n$/), stderr: '' });

    const later = new Date(Date.now() + 60_000);
    await utimes(join(copy.path, 'main', 'app.ts'), later, later);
    expect(staleReason()).toBe('sources changed since the last build');
  }, 180_000); // a full TypeScript build on a shared machine
});
