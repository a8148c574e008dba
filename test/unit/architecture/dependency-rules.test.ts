/**
 * STYLE.md's dependency rules, checked on every .ts/.tsx file of the source trees:
 * - src/ never imports main/, edge/ or bin/; main/ and edge/ never import each other;
 * - only src/http/ and, in main/ and edge/, routes/, middleware/, web/ and app.ts import hono;
 * - process.env is read only in src/config/load.ts, bin/ and the services' cli.ts;
 * - only src/store/lmdb.ts imports lmdb, so that every environment is opened with its write
 *   guard (a failed commit otherwise ended the process on an unhandled rejection);
 * - in main/, only main/metadata/lmdb/** imports src/store/lmdb.js: the metadata owners are the
 *   only door to main's tables, whichever backend holds them;
 * - only main/metadata/postgres/ imports pg: PostgreSQL is one backend among others, reached
 *   through the metadata owners' interfaces;
 * - only main/directory/ imports ldapts: sign-in, settings and the sync reach the directory through it;
 * - `BlobStore` is the only door to blob bytes: only the file system store (src/store/fs-*.ts)
 *   uses the blob layout (blob-paths.ts) and its file helpers (file-io.ts), and only the
 *   composition roots (main/main-data.ts, edge/service.ts) name `FsBlobStore`.
 * Imports and `process.env` reads are found with the TypeScript parser, so comments and
 * strings that mention them do not count.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCE_TREES = ['src', 'main', 'edge', 'bin'];

interface Found {
  /** Module specifier as written. */
  specifier: string;
  line: number;
}

interface FileFacts {
  /** Repository-relative path with forward slashes. */
  file: string;
  imports: Found[];
  /** Lines that read `process.env`. */
  envReads: number[];
}

/** Imports (static, type-only, re-exports, dynamic, `import()` types, require) and process.env reads. */
function scanSource(file: string, text: string): FileFacts {
  const source = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const imports: Found[] = [];
  const envReads: number[] = [];
  const isProcess = (node: ts.Node): boolean =>
    (ts.isIdentifier(node) && node.text === 'process') ||
    (ts.isPropertyAccessExpression(node) &&
      node.name.text === 'process' &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'globalThis');
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      imports.push({ specifier: node.moduleSpecifier.text, line: lineOf(node) });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      imports.push({ specifier: node.moduleReference.expression.text, line: lineOf(node) });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        imports.push({ specifier: node.arguments[0].text, line: lineOf(node) });
      }
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      imports.push({ specifier: node.argument.literal.text, line: lineOf(node) });
    } else if (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && isProcess(node.expression)) {
      envReads.push(lineOf(node));
    } else if (
      ts.isElementAccessExpression(node) &&
      isProcess(node.expression) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      node.argumentExpression.text === 'env'
    ) {
      envReads.push(lineOf(node));
    } else if (
      ts.isVariableDeclaration(node) &&
      node.initializer &&
      isProcess(node.initializer) &&
      ts.isObjectBindingPattern(node.name)
    ) {
      const names = node.name.elements.map((e) => (e.propertyName ?? e.name).getText(source));
      if (names.includes('env')) envReads.push(lineOf(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // jsxImportSource is hono/jsx: a .tsx file imports hono's JSX runtime without saying so.
  if (file.endsWith('.tsx')) imports.push({ specifier: 'hono/jsx/jsx-runtime', line: 1 });
  return { file, imports, envReads };
}

const toPosix = (path: string): string => path.split(sep).join('/');

/** The top-level folder a relative import lands in, or undefined for a package import. */
function targetTree(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return toPosix(relative(REPO, resolve(REPO, dirname(file), specifier))).split('/')[0];
}

const FORBIDDEN_TREES: Record<string, string[]> = { src: ['main', 'edge', 'bin'], main: ['edge'], edge: ['main'] };

function layerViolations({ file, imports }: FileFacts): string[] {
  const forbidden = FORBIDDEN_TREES[file.split('/')[0]!] ?? [];
  return imports
    .filter(({ specifier }) => forbidden.includes(targetTree(file, specifier) ?? ''))
    .map(
      ({ specifier, line }) =>
        `${file}:${line} imports '${specifier}' (${file.split('/')[0]}/ must not import ` +
        `${targetTree(file, specifier)}/)`,
    );
}

const isHono = (specifier: string): boolean =>
  specifier === 'hono' || specifier.startsWith('hono/') || specifier.startsWith('@hono/');
const MAY_IMPORT_HONO = [/^src\/http\//, /^(main|edge)\/(routes|middleware|web)\//, /^(main|edge)\/app\.tsx?$/];

function honoViolations({ file, imports }: FileFacts): string[] {
  if (MAY_IMPORT_HONO.some((pattern) => pattern.test(file))) return [];
  return imports
    .filter(({ specifier }) => isHono(specifier))
    .map(
      ({ specifier, line }) =>
        `${file}:${line} imports '${specifier}' (only src/http/, routes/, middleware/, web/ and ` +
        `app.ts may import hono)`,
    );
}

const MAY_READ_ENV = [/^src\/config\/load\.ts$/, /^bin\//, /^(main|edge)\/cli\.ts$/];

function envViolations({ file, envReads }: FileFacts): string[] {
  if (MAY_READ_ENV.some((pattern) => pattern.test(file))) return [];
  return envReads.map(
    (line) => `${file}:${line} reads process.env (only src/config/load.ts, bin/ and <service>/cli.ts may)`,
  );
}

function lmdbViolations({ file, imports }: FileFacts): string[] {
  if (file === 'src/store/lmdb.ts') return [];
  return imports
    .filter(({ specifier }) => specifier === 'lmdb' || specifier.startsWith('lmdb/'))
    .map(({ specifier, line }) => `${file}:${line} imports '${specifier}' (only src/store/lmdb.ts may)`);
}

/** True when `specifier`, imported from `file`, is src/store/lmdb(.js|.ts). */
const isLmdbHelper = (file: string, specifier: string): boolean =>
  specifier.startsWith('.') &&
  /^src\/store\/lmdb(\.js|\.ts)?$/.test(toPosix(relative(REPO, resolve(REPO, dirname(file), specifier))));

function tableViolations({ file, imports }: FileFacts): string[] {
  if (!file.startsWith('main/') || file.startsWith('main/metadata/lmdb/')) return [];
  return imports
    .filter(({ specifier }) => isLmdbHelper(file, specifier))
    .map(
      ({ specifier, line }) =>
        `${file}:${line} imports '${specifier}' (in main/, only main/metadata/lmdb/ may: go through a metadata owner)`,
    );
}

function pgViolations({ file, imports }: FileFacts): string[] {
  if (file.startsWith('main/metadata/postgres/')) return [];
  return imports
    .filter(({ specifier }) => specifier === 'pg' || specifier.startsWith('pg/'))
    .map(({ specifier, line }) => `${file}:${line} imports '${specifier}' (only main/metadata/postgres/ may)`);
}

function ldapViolations({ file, imports }: FileFacts): string[] {
  if (file.startsWith('main/directory/')) return [];
  return imports
    .filter(({ specifier }) => specifier === 'ldapts' || specifier.startsWith('ldapts/'))
    .map(({ specifier, line }) => `${file}:${line} imports '${specifier}' (only main/directory/ may)`);
}

/** The repository file a relative import names (`.js` written for `.ts`), or undefined for a package. */
function importedFile(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return toPosix(relative(REPO, resolve(REPO, dirname(file), specifier))).replace(/\.js$/, '.ts');
}

const BLOB_LAYOUT = ['src/store/blob-paths.ts', 'src/store/file-io.ts'];
const MAY_USE_BLOB_LAYOUT = [/^src\/store\/fs-[a-z-]+\.ts$/, /^src\/store\/(blob-paths|file-io)\.ts$/];

function blobLayoutViolations({ file, imports }: FileFacts): string[] {
  if (MAY_USE_BLOB_LAYOUT.some((pattern) => pattern.test(file))) return [];
  return imports
    .filter(({ specifier }) => BLOB_LAYOUT.includes(importedFile(file, specifier) ?? ''))
    .map(
      ({ specifier, line }) =>
        `${file}:${line} imports '${specifier}' (only the file system store, src/store/fs-*.ts, ` +
        `may use blob paths; go through BlobStore)`,
    );
}

const MAY_NAME_FS_STORE = [/^src\/store\//, /^edge\/service\.ts$/, /^main\/main-data\.ts$/];

function fsStoreViolations({ file, imports }: FileFacts): string[] {
  if (MAY_NAME_FS_STORE.some((pattern) => pattern.test(file))) return [];
  return imports
    .filter(({ specifier }) => importedFile(file, specifier) === 'src/store/fs-blob-store.ts')
    .map(
      ({ specifier, line }) =>
        `${file}:${line} imports '${specifier}' (only main/main-data.ts and edge/service.ts may name ` +
        `FsBlobStore; others take a BlobStore)`,
    );
}

function awsSdkViolations({ file, imports }: FileFacts): string[] {
  if (/^src\/store\/s3-[a-z-]+\.ts$/.test(file)) return [];
  const named = (specifier: string) =>
    specifier.startsWith('@aws-sdk/') || importedFile(file, specifier) === 'src/store/s3-blob-store.ts';
  return imports
    .filter(({ specifier }) => named(specifier) && !(file === 'main/main-data.ts' && !specifier.startsWith('@')))
    .map(
      ({ specifier, line }) =>
        `${file}:${line} imports '${specifier}' (only src/store/s3-*.ts use the AWS SDK, and only ` +
        `main/main-data.ts names S3BlobStore)`,
    );
}

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(REPO, dir), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries.flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const facts = SOURCE_TREES.flatMap(sourceFiles).map((file) => scanSource(file, readFileSync(join(REPO, file), 'utf8')));
const factsOf = (file: string): FileFacts | undefined => facts.find((f) => f.file === file);

describe('dependency rules (STYLE.md section 6)', () => {
  it('sees the source trees it checks', () => {
    expect(facts.filter((f) => f.file.startsWith('src/')).length).toBeGreaterThan(10);
    expect(facts.filter((f) => f.file.startsWith('main/')).length).toBeGreaterThan(10);
    expect(factsOf('src/http/error-handler.ts')?.imports).toContainEqual(
      expect.objectContaining({ specifier: 'hono' }),
    );
  });

  it('src/ imports neither main/, edge/ nor bin/', () => {
    expect(facts.filter((f) => f.file.startsWith('src/')).flatMap(layerViolations)).toEqual([]);
  });

  it('main/ never imports edge/, and edge/ never imports main/', () => {
    expect(facts.filter((f) => /^(main|edge)\//.test(f.file)).flatMap(layerViolations)).toEqual([]);
  });

  it('only src/http/ and the routes/, middleware/, web/ and app.ts of main/ and edge/ import hono', () => {
    expect(facts.flatMap(honoViolations)).toEqual([]);
  });

  it('only src/config/load.ts, bin/ and <service>/cli.ts read process.env', () => {
    expect(facts.flatMap(envViolations)).toEqual([]);
  });

  it('in main/, only main/metadata/lmdb/ imports src/store/lmdb.js', () => {
    expect(facts.flatMap(tableViolations)).toEqual([]);
    expect(factsOf('main/metadata/lmdb/registry.ts')?.imports).toContainEqual(
      expect.objectContaining({ specifier: '../../../src/store/lmdb.js' }),
    );
  });

  it('only src/store/lmdb.ts imports lmdb (type imports go through it too)', () => {
    expect(facts.flatMap(lmdbViolations)).toEqual([]);
    const direct: FileFacts = { file: 'edge/cache/x.ts', imports: [{ specifier: 'lmdb', line: 3 }], envReads: [] };
    expect(lmdbViolations(direct)).toHaveLength(1);
  });

  it('only main/metadata/postgres/ imports pg', () => {
    expect(facts.flatMap(pgViolations)).toEqual([]);
    expect(factsOf('main/metadata/postgres/database.ts')?.imports).toContainEqual(
      expect.objectContaining({ specifier: 'pg' }),
    );
    const outside: FileFacts = { file: 'main/registry/x.ts', imports: [{ specifier: 'pg', line: 2 }], envReads: [] };
    expect(pgViolations(outside)).toHaveLength(1);
  });

  it('only main/directory/ imports ldapts', () => {
    expect(facts.flatMap(ldapViolations)).toEqual([]);
    expect(factsOf('main/directory/directory-connection.ts')?.imports).toContainEqual(
      expect.objectContaining({ specifier: 'ldapts' }),
    );
    const outside: FileFacts = { file: 'main/auth/x.ts', imports: [{ specifier: 'ldapts', line: 4 }], envReads: [] };
    expect(ldapViolations(outside)).toHaveLength(1);
  });

  it('only the file system store (src/store/fs-*.ts) uses blob paths and file-io.ts', () => {
    expect(facts.flatMap(blobLayoutViolations)).toEqual([]);
    expect(factsOf('src/store/fs-blob-store.ts')?.imports).toContainEqual(
      expect.objectContaining({ specifier: './blob-paths.js' }),
    );
  });

  it('only the composition roots name FsBlobStore', () => {
    expect(facts.flatMap(fsStoreViolations)).toEqual([]);
    expect(factsOf('main/main-data.ts')?.imports).toContainEqual(
      expect.objectContaining({ specifier: '../src/store/fs-blob-store.js' }),
    );
  });

  it('only src/store/s3-*.ts import the AWS SDK, and only main/main-data.ts names S3BlobStore', () => {
    expect(facts.flatMap(awsSdkViolations)).toEqual([]);
    expect(factsOf('src/store/s3-objects.ts')?.imports).toContainEqual(
      expect.objectContaining({ specifier: '@aws-sdk/client-s3' }),
    );
    const sdk: FileFacts = { file: 'main/x.ts', imports: [{ specifier: '@aws-sdk/client-s3', line: 4 }], envReads: [] };
    const store: FileFacts = {
      file: 'main/registry/x.ts',
      imports: [{ specifier: '../../src/store/s3-blob-store.js', line: 1 }],
      envReads: [],
    };
    expect(awsSdkViolations(sdk)).toEqual([
      "main/x.ts:4 imports '@aws-sdk/client-s3' (only src/store/s3-*.ts use the AWS SDK, and only main/main-data.ts names S3BlobStore)",
    ]);
    expect(awsSdkViolations(store)).toHaveLength(1);
  });
});

describe('scanSource', () => {
  it('finds every form of import with its line', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import './side-effect.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('./e.js');",
      "type F = typeof import('./f.js');",
      "const g = require('g');",
      "import h = require('h');",
    ].join('\n');
    expect(scanSource('src/x.ts', text).imports).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: '../b.js', line: 2 },
      { specifier: './side-effect.js', line: 3 },
      { specifier: './c.js', line: 4 },
      { specifier: './d.js', line: 5 },
      { specifier: './e.js', line: 6 },
      { specifier: './f.js', line: 7 },
      { specifier: 'g', line: 8 },
      { specifier: 'h', line: 9 },
    ]);
  });

  it("counts hono's JSX runtime as an import of every .tsx file", () => {
    expect(scanSource('main/registry/view.tsx', 'export const V = () => <p />;').imports).toEqual([
      { specifier: 'hono/jsx/jsx-runtime', line: 1 },
    ]);
  });

  it('finds process.env read directly, by index, through globalThis and by destructuring', () => {
    const text = [
      'const a = process.env.A;',
      "const b = process['env'];",
      'const c = globalThis.process.env;',
      'const { env } = process;',
      'const { env: renamed } = process;',
    ].join('\n');
    expect(scanSource('src/x.ts', text).envReads).toEqual([1, 2, 3, 4, 5]);
  });

  it('ignores imports and process.env mentioned in comments and strings', () => {
    const text = [
      "// import x from 'hono'; process.env.A",
      'const s = "import y from \'hono\'";',
      'const t = `process.env`;',
      'const argv = process.argv;',
    ].join('\n');
    expect(scanSource('src/x.ts', text)).toEqual({ file: 'src/x.ts', imports: [], envReads: [] });
  });
});

describe('the rules on made-up files', () => {
  const file = (path: string, specifiers: string[], envReads: number[] = []): FileFacts => ({
    file: path,
    imports: specifiers.map((specifier, i) => ({ specifier, line: i + 1 })),
    envReads,
  });

  it('report a src/ file importing main/ with file, line and import', () => {
    expect(layerViolations(file('src/oci/x.ts', ['./digest.js', '../../main/app.js']))).toEqual([
      "src/oci/x.ts:2 imports '../../main/app.js' (src/ must not import main/)",
    ]);
  });

  it('report main/ importing edge/ and edge/ importing main/, but not bin/ importing both', () => {
    expect(layerViolations(file('main/registry/x.ts', ['../../edge/cache/blob-cache.js']))).toHaveLength(1);
    expect(layerViolations(file('edge/x.ts', ['../main/config.js']))).toHaveLength(1);
    expect(layerViolations(file('bin/outpost.ts', ['../main/cli.js', '../edge/cli.js']))).toEqual([]);
    expect(layerViolations(file('main/x.ts', ['../src/oci/digest.js', 'hono']))).toEqual([]);
  });

  it('report hono in a domain folder, in src/ outside http/ and in bin/', () => {
    expect(honoViolations(file('main/registry/x.ts', ['hono']))).toEqual([
      "main/registry/x.ts:1 imports 'hono' (only src/http/, routes/, middleware/, web/ and app.ts may import hono)",
    ]);
    expect(honoViolations(file('src/store/x.ts', ['hono/http-exception']))).toHaveLength(1);
    expect(honoViolations(file('edge/cache/x.ts', ['@hono/node-server']))).toHaveLength(1);
    expect(honoViolations(file('bin/outpost.ts', ['hono']))).toHaveLength(1);
    expect(honoViolations(file('main/service.ts', ['honorific']))).toEqual([]);
  });

  it('allow hono in src/http/, routes/, middleware/, web/ and app.ts', () => {
    for (const path of [
      'src/http/x.ts',
      'main/routes/v2/x.ts',
      'edge/routes/x.ts',
      'main/middleware/x.ts',
      'main/web/x.tsx',
      'main/app.ts',
      'edge/app.ts',
    ]) {
      expect(honoViolations(file(path, ['hono']))).toEqual([]);
    }
    expect(honoViolations(file('main/registry/app.ts', ['hono']))).toHaveLength(1);
  });

  it('report src/store/lmdb.js imported in main/ outside main/metadata/lmdb/', () => {
    expect(tableViolations(file('main/registry/x.ts', ['../../src/store/lmdb.js']))).toEqual([
      "main/registry/x.ts:1 imports '../../src/store/lmdb.js' " +
        '(in main/, only main/metadata/lmdb/ may: go through a metadata owner)',
    ]);
    expect(tableViolations(file('main/web/x.ts', ['../../src/store/lmdb']))).toHaveLength(1);
    expect(tableViolations(file('main/metadata/lmdb/x.ts', ['../../../src/store/lmdb.js']))).toEqual([]);
    expect(tableViolations(file('main/registry/x.ts', ['../../src/store/lmdb-extra.js']))).toEqual([]);
    expect(tableViolations(file('edge/cache/x.ts', ['../../src/store/lmdb.js']))).toEqual([]);
  });

  it('report blob paths and file-io.ts used outside the file system store, with file, line and import', () => {
    expect(blobLayoutViolations(file('main/registry/gc.ts', ['../../src/store/blob-paths.js']))).toEqual([
      "main/registry/gc.ts:1 imports '../../src/store/blob-paths.js' (only the file system store, " +
        'src/store/fs-*.ts, may use blob paths; go through BlobStore)',
    ]);
    expect(blobLayoutViolations(file('edge/cache/x.ts', ['../../src/store/file-io.js']))).toHaveLength(1);
    expect(blobLayoutViolations(file('src/store/blob-store.ts', ['./blob-paths.js']))).toHaveLength(1);
    expect(blobLayoutViolations(file('src/store/fs-blob-uploads.ts', ['./blob-paths.js', './file-io.js']))).toEqual([]);
    expect(blobLayoutViolations(file('main/x.ts', ['../src/store/blob-store.js']))).toEqual([]);
  });

  it('report FsBlobStore named outside the composition roots', () => {
    expect(fsStoreViolations(file('main/registry/registry.ts', ['../../src/store/fs-blob-store.js']))).toHaveLength(1);
    expect(fsStoreViolations(file('edge/cache/blob-cache.ts', ['../../src/store/fs-blob-store.js']))).toHaveLength(1);
    expect(fsStoreViolations(file('main/service.ts', ['../src/store/fs-blob-store.js']))).toHaveLength(1);
    for (const path of ['main/main-data.ts', 'edge/service.ts'])
      expect(fsStoreViolations(file(path, ['../src/store/fs-blob-store.js']))).toEqual([]);
  });

  it('report process.env outside the entry points', () => {
    expect(envViolations(file('main/service.ts', [], [7]))).toEqual([
      'main/service.ts:7 reads process.env (only src/config/load.ts, bin/ and <service>/cli.ts may)',
    ]);
    expect(envViolations(file('main/cli/user-commands.ts', [], [1]))).toHaveLength(1);
    for (const path of ['src/config/load.ts', 'bin/outpost.ts', 'main/cli.ts', 'edge/cli.ts'])
      expect(envViolations(file(path, [], [1]))).toEqual([]);
  });
});
