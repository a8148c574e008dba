import { describe, expect, it } from 'vitest';
import { loadMainConfig, type MainFlags } from '../../../main/config.js';
import { ConfigError } from '../../../src/config/load.js';

describe('main configuration', () => {
  it('starts from embedded defaults', () => {
    const config = loadMainConfig({}, {});
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(config.dataDir).toBe('./data/main');
    expect(config.storage).toEqual({
      deleteEnabled: true,
      maxManifestBytes: 4 * 2 ** 20,
      uploadMaxAgeMs: 24 * 3600_000,
      uploadPurgeIntervalMs: 3600_000,
      gcGraceMs: 3600_000,
    });
    expect(config.shutdownGraceMs).toBe(30_000);
    expect(Object.isFrozen(config.storage)).toBe(true);
  });

  it('lets environment variables override defaults and flags override both', () => {
    const config = loadMainConfig(
      { listen: '127.0.0.1:0' },
      {
        OUTPOST_MAIN_LISTEN: '0.0.0.0:80',
        OUTPOST_MAIN_STORAGE__DELETE_ENABLED: 'false',
        OUTPOST_MAIN_STORAGE__UPLOAD_MAX_AGE: '2h',
      },
    );
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.storage.deleteEnabled).toBe(false);
    expect(config.storage.uploadMaxAgeMs).toBe(2 * 3600_000);
  });

  it('refuses to start listing every problem at once', () => {
    let error: unknown;
    try {
      loadMainConfig(
        { listen: 'nowhere', tlsCert: 'cert.pem' },
        { OUTPOST_MAIN_STORAGE__MAX_MANIFEST_SIZE: 'ten', OUTPOST_MAIN_BOGUS: '1' },
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('--listen: expected HOST:PORT');
    expect(problems).toContain('OUTPOST_MAIN_STORAGE__MAX_MANIFEST_SIZE: expected a size like 10GiB');
    expect(problems).toContain('OUTPOST_MAIN_BOGUS: not a setting');
    expect(problems).toContain('certFile and keyFile must be given together');
  });

  it('keeps blobs in the data directory unless --blobs / OUTPOST_MAIN_BLOBS names a directory of their own', () => {
    expect(loadMainConfig({}, {}).blobs).toBeUndefined();
    expect(loadMainConfig({}, { OUTPOST_MAIN_BLOBS: '/mnt/nfs/outpost' }).blobs).toEqual({
      kind: 'directory',
      path: '/mnt/nfs/outpost',
    });
    expect(loadMainConfig({ blobs: './shared' }, { OUTPOST_MAIN_BLOBS: '/mnt/nfs/outpost' }).blobs).toEqual({
      kind: 'directory',
      path: './shared',
    });
  });

  it('takes s3://BUCKET[/PREFIX]?endpoint=URL&region=R as a blob store on S3', () => {
    const env = { OUTPOST_MAIN_BLOBS: 's3://registry/main/?endpoint=http://127.0.0.1:7480&region=us-east-1' };
    expect(loadMainConfig({}, env).blobs).toEqual({
      kind: 's3',
      location: { bucket: 'registry', prefix: 'main', endpoint: 'http://127.0.0.1:7480', region: 'us-east-1' },
    });
    expect(loadMainConfig({ blobs: 's3://registry' }, {}).blobs).toEqual({
      kind: 's3',
      location: { bucket: 'registry', prefix: '' },
    });
  });

  it('refuses a malformed S3 location or another URL, saying what is wrong', () => {
    expect(problemsOf({ blobs: 's3://Bad_Bucket' }, {})).toContain(
      '--blobs: bucket "Bad_Bucket" is not a valid S3 bucket name',
    );
    expect(problemsOf({}, { OUTPOST_MAIN_BLOBS: 's3://b12?endpoint=http://k:s@h' })).toContain(
      'OUTPOST_MAIN_BLOBS: credentials do not belong in the endpoint',
    );
    expect(problemsOf({ blobs: 'https://bucket/prefix' }, {})).toContain(
      '--blobs: expected a directory or s3://BUCKET[/PREFIX]?endpoint=URL&region=R, got another URL',
    );
    expect(() => loadMainConfig({}, { OUTPOST_MAIN_BLOBS: '' })).toThrow(ConfigError);
  });

  it('takes --blobs-redirect only with blobs on S3', () => {
    expect(loadMainConfig({}, {}).blobsRedirect).toBe(false);
    expect(loadMainConfig({ blobs: 's3://registry', blobsRedirect: true }, {}).blobsRedirect).toBe(true);
    expect(
      loadMainConfig({}, { OUTPOST_MAIN_BLOBS: 's3://registry', OUTPOST_MAIN_BLOBS_REDIRECT: 'true' }).blobsRedirect,
    ).toBe(true);
    expect(problemsOf({ blobsRedirect: true }, {})).toContain(
      'needs --blobs s3://BUCKET[/PREFIX]?endpoint=URL&region=R',
    );
    expect(problemsOf({ blobs: '/mnt/nfs', blobsRedirect: true }, {})).toContain('needs --blobs s3://');
  });
});

function problemsOf(flags: MainFlags, env: Record<string, string>): string {
  try {
    loadMainConfig(flags, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.join('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('the metadata database setting', () => {
  it('is unset by default: the embedded LMDB keeps the metadata', () => {
    expect(loadMainConfig({}, {}).database).toBeUndefined();
  });

  it('takes a PostgreSQL URL from --database or OUTPOST_MAIN_DATABASE, the flag winning', () => {
    const fromEnv = loadMainConfig(
      {},
      { OUTPOST_MAIN_DATABASE: 'postgres://o:pw@db.internal:5432/outpost', OUTPOST_MAIN_SECRET_KEY_FILE: '/run/kek' },
    );
    expect(fromEnv.database).toBe('postgres://o:pw@db.internal:5432/outpost');
    const fromFlag = loadMainConfig(
      { database: 'postgresql://o:pw@other/outpost', secretKeyFile: '/run/kek' },
      { OUTPOST_MAIN_DATABASE: 'postgres://o:pw@db.internal/outpost' },
    );
    expect(fromFlag.database).toBe('postgresql://o:pw@other/outpost');
  });

  it.each(['mysql://o:hunter2@db/outpost', 'postgres:///nohost', 'not a url hunter2'])(
    'refuses %s naming the flag, without echoing the value (it may carry a password)',
    (value) => {
      const error = (() => {
        try {
          loadMainConfig({ database: value }, {});
        } catch (err) {
          return err;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('--database');
      expect((error as Error).message).toContain('postgres://USER:PASSWORD@HOST');
      expect((error as Error).message).not.toContain('hunter2');
    },
  );
});

describe('the key-encryption key setting', () => {
  const refusal = (flags: Parameters<typeof loadMainConfig>[0], env: Record<string, string> = {}) => {
    try {
      loadMainConfig(flags, env);
    } catch (err) {
      return err as ConfigError;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('is required with --database, the refusal naming the flag, the variable and how to make a key', () => {
    const error = refusal({ database: 'postgres://o:hunter2@db/outpost' });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('--secret-key-file / OUTPOST_MAIN_SECRET_KEY_FILE: required with --database');
    expect(error.message).toContain('openssl rand -base64 32');
    expect(error.message).not.toContain('hunter2');
  });

  it('is taken from --secret-key-file or OUTPOST_MAIN_SECRET_KEY_FILE, the flag winning', () => {
    const database = 'postgres://o:pw@db/outpost';
    expect(loadMainConfig({ database }, { OUTPOST_MAIN_SECRET_KEY_FILE: '/env/kek' }).secretKeyFile).toBe('/env/kek');
    expect(
      loadMainConfig({ database, secretKeyFile: '/flag/kek' }, { OUTPOST_MAIN_SECRET_KEY_FILE: '/env/kek' })
        .secretKeyFile,
    ).toBe('/flag/kek');
  });

  it('is not needed by the embedded backend', () => {
    expect(loadMainConfig({}, {}).secretKeyFile).toBeUndefined();
  });
});
