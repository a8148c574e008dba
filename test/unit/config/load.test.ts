import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig, type LoadConfigOptions } from '../../../src/config/load.js';
import { booleanSchema, listenSchema, sizeSchema } from '../../../src/config/common.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

// A small schema in the shape services use: strict objects, defaults, nested sections, units.
const schema = z
  .object({
    listen: listenSchema.prefault('127.0.0.1:5000'),
    publicUrl: z.string().optional(),
    storage: z
      .object({
        deleteEnabled: booleanSchema.prefault(true),
        maxSize: sizeSchema.prefault('1GiB'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const PREFIX = 'OUTPOST_TEST_';
const load = (options: Partial<LoadConfigOptions> = {}) =>
  loadConfig(schema, { envPrefix: PREFIX, env: {}, ...options });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const error = err as ConfigError;
    expect(error.code).toBe('OUTPOST_CONFIG_INVALID');
    expect(error.name).toBe('ConfigError');
    return error;
  }
  throw new Error('expected a ConfigError, the configuration loaded');
}

let dir: TempDir;
beforeEach(async () => {
  dir = await createTempDir();
});
afterEach(async () => {
  await dir.remove();
});

async function configFile(content: string): Promise<string> {
  const file = join(dir.path, 'config.json');
  await writeFile(file, content);
  return file;
}

describe('loadConfig', () => {
  it('returns the schema defaults when no file, variable or override is given', () => {
    expect(load()).toEqual({
      listen: { host: '127.0.0.1', port: 5000 },
      storage: { deleteEnabled: true, maxSize: 2 ** 30 },
    });
  });

  it('reads values from a JSON file and fills the rest from defaults', async () => {
    const file = await configFile(JSON.stringify({ listen: ':8080', storage: { maxSize: '2GiB' } }));
    expect(load({ file })).toEqual({
      listen: { host: '0.0.0.0', port: 8080 },
      storage: { deleteEnabled: true, maxSize: 2 * 2 ** 30 },
    });
  });

  it('maps PREFIX_SNAKE_CASE to camelCase keys and __ to nesting', () => {
    const config = load({
      env: {
        OUTPOST_TEST_PUBLIC_URL: 'https://r.example',
        OUTPOST_TEST_STORAGE__DELETE_ENABLED: 'false',
        OUTPOST_TEST_STORAGE__MAX_SIZE: '5MiB',
      },
    });
    expect(config.publicUrl).toBe('https://r.example');
    expect(config.storage).toEqual({ deleteEnabled: false, maxSize: 5 * 2 ** 20 });
  });

  it('ignores variables without the prefix and variables that are unset', () => {
    const config = load({
      env: { LISTEN: '1.2.3.4:1', OTHER_TEST_LISTEN: '1.2.3.4:2', OUTPOST_TEST_PUBLIC_URL: undefined },
    });
    expect(config).toEqual(load());
  });

  it('lets a variable override the file without losing the file’s sibling keys', async () => {
    const file = await configFile(JSON.stringify({ storage: { deleteEnabled: false, maxSize: '3MiB' } }));
    const config = load({ file, env: { OUTPOST_TEST_STORAGE__MAX_SIZE: '7MiB' } });
    expect(config.storage).toEqual({ deleteEnabled: false, maxSize: 7 * 2 ** 20 });
  });

  it('lets overrides, as dotted paths, win over variables and the file', async () => {
    const file = await configFile(JSON.stringify({ listen: ':1000', storage: { maxSize: '1MiB' } }));
    const config = load({
      file,
      env: { OUTPOST_TEST_LISTEN: ':2000', OUTPOST_TEST_STORAGE__MAX_SIZE: '2MiB' },
      overrides: { listen: ':3000', 'storage.maxSize': '3MiB' },
    });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 3000 });
    expect(config.storage.maxSize).toBe(3 * 2 ** 20);
  });

  it('ignores overrides whose value is undefined, so unset flags do not hide other sources', () => {
    const config = load({ env: { OUTPOST_TEST_LISTEN: ':2000' }, overrides: { listen: undefined } });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 2000 });
  });

  it('returns a deeply frozen value', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.storage)).toBe(true);
    expect(() => {
      (config.storage as { maxSize: number }).maxSize = 1;
    }).toThrow(TypeError);
  });

  it('builds a fresh value on every load', () => {
    const first = load({ env: { OUTPOST_TEST_STORAGE__MAX_SIZE: '1MiB' } });
    const second = load();
    expect(second.storage).not.toBe(first.storage);
    expect(second.storage.maxSize).toBe(2 ** 30);
  });

  it('reports every problem at once, one line each naming the variable that set it', () => {
    const error = configError(() =>
      load({
        env: {
          OUTPOST_TEST_LISTEN: 'nowhere',
          OUTPOST_TEST_STORAGE__MAX_SIZE: 'ten',
          OUTPOST_TEST_STORAGE__DELETE_ENABLED: 'maybe',
        },
      }),
    );
    expect(error.problems).toHaveLength(3);
    expect(error.problems).toContain('OUTPOST_TEST_LISTEN: expected HOST:PORT like 127.0.0.1:5000, got "nowhere"');
    expect(error.problems).toContain('OUTPOST_TEST_STORAGE__MAX_SIZE: expected a size like 10GiB or 512MiB, got "ten"');
    expect(error.problems.find((p) => p.startsWith('OUTPOST_TEST_STORAGE__DELETE_ENABLED: '))).toBeDefined();
    expect(error.message).toBe(`invalid configuration:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
  });

  it('names unknown settings by the variable or file key that set them', async () => {
    const error = configError(() => load({ env: { OUTPOST_TEST_BOGUS: '1', OUTPOST_TEST_STORAGE__COLOUR: 'red' } }));
    expect(error.problems.sort()).toEqual([
      'OUTPOST_TEST_BOGUS: not a setting',
      'OUTPOST_TEST_STORAGE__COLOUR: not a setting',
    ]);
    const file = await configFile('{"storage":{"colour":"red"}}');
    expect(configError(() => load({ file })).problems).toEqual([`"storage.colour" in ${file}: not a setting`]);
  });

  it('refuses a file that cannot be read, naming it and the reason', () => {
    const file = join(dir.path, 'missing.json');
    const error = configError(() => load({ file }));
    expect(error.problems).toEqual([`config file ${file}: cannot be read (ENOENT)`]);
  });

  it('refuses a directory given as the file', async () => {
    const file = join(dir.path, 'a-directory');
    await mkdir(file);
    expect(configError(() => load({ file })).problems).toEqual([`config file ${file}: cannot be read (EISDIR)`]);
  });

  it.each([
    ['invalid JSON', '{"listen": ":80",'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"listen"'],
  ])('refuses a file holding %s', async (_, content) => {
    const file = await configFile(content);
    expect(configError(() => load({ file })).problems).toEqual([`config file ${file}: expected a JSON object`]);
  });
});
