/**
 * What an operator reads when a setting is wrong: each problem names the flag, the environment
 * variable or the file key they set (for a missing value, both the flag and the variable), and
 * a service listening on every interface needs the public URL clients reach it at.
 */
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../../edge/config.js';
import { loadMainConfig } from '../../../main/config.js';
import { ConfigError } from '../../../src/config/load.js';

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError, the configuration loaded');
}

const EDGE = { name: 'sg', upstream: 'http://127.0.0.1:5000' };
const NOT_A_SIZE = 'expected a size like 10GiB or 512MiB, got "ten"';

describe('configuration errors name what the user set', () => {
  it('names the flag when a flag is wrong', () => {
    expect(problems(() => loadEdgeConfig({ ...EDGE, maxBytes: 'ten' }, {}))).toEqual([`--max-bytes: ${NOT_A_SIZE}`]);
    expect(problems(() => loadMainConfig({ data: '' }, {}))).toEqual([
      '--data: Too small: expected string to have >=1 characters',
    ]);
  });

  it('names the environment variable when a variable is wrong', () => {
    const env = { OUTPOST_EDGE_MAX_BYTES: 'ten' };
    expect(problems(() => loadEdgeConfig(EDGE, env))).toEqual([`OUTPOST_EDGE_MAX_BYTES: ${NOT_A_SIZE}`]);
    expect(problems(() => loadMainConfig({}, { OUTPOST_MAIN_AUTH__TOKEN_LIFETIME: 'soon' }))).toEqual([
      'OUTPOST_MAIN_AUTH__TOKEN_LIFETIME: expected a duration like 30s, 2m or 24h, got "soon"',
    ]);
  });

  it('says "required" with the flag and the variable for a missing setting, not "Invalid input"', () => {
    expect(problems(() => loadEdgeConfig({}, {})).sort()).toEqual([
      '--name / OUTPOST_EDGE_NAME: required',
      '--upstream / OUTPOST_EDGE_UPSTREAM: required',
    ]);
  });

  it('names a mistyped variable as not a setting', () => {
    const env = { OUTPOST_MAIN_LISTEN_ADDRESS: ':5000' };
    expect(problems(() => loadMainConfig({}, env))).toEqual(['OUTPOST_MAIN_LISTEN_ADDRESS: not a setting']);
  });

  it('still loads good values from every source', () => {
    const config = loadEdgeConfig({ ...EDGE, maxBytes: '1GiB' }, { OUTPOST_EDGE_BLOB_TTL: '1h' });
    expect(config).toMatchObject({ maxBytes: 2 ** 30, blobTtlMs: 3_600_000 });
  });
});

describe('listening on every interface', () => {
  it('refuses main on 0.0.0.0 without a public URL, naming --public-url and OUTPOST_MAIN_PUBLIC_URL', () => {
    const [problem, ...rest] = problems(() => loadMainConfig({ listen: '0.0.0.0:5000' }, {}));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^--public-url \/ OUTPOST_MAIN_PUBLIC_URL: required when listening on every interface /);
    expect(problem).toContain('(0.0.0.0:5000): it is the token issuer and realm and the URL edges pull from');
    expect(problem).toContain('no other machine reaches http://127.0.0.1:5000');
    const ipv6 = problems(() => loadMainConfig({}, { OUTPOST_MAIN_LISTEN: '[::]:5000' }));
    expect(ipv6[0]).toContain('every interface ([::]:5000)');
    expect(problems(() => loadMainConfig({ listen: ':5000' }, {}))[0]).toContain('every interface (0.0.0.0:5000)');
  });

  it('refuses an edge on 0.0.0.0 without a public URL', () => {
    const [problem] = problems(() => loadEdgeConfig({ ...EDGE, listen: '0.0.0.0:5001' }, {}));
    expect(problem).toMatch(/^--public-url \/ OUTPOST_EDGE_PUBLIC_URL: required when listening on every interface /);
    expect(problem).toContain('(0.0.0.0:5001): main redirects pulls to it and the edge registers it on main');
  });

  it('starts on 0.0.0.0 with a public URL, and on loopback without one', () => {
    const main = loadMainConfig({ listen: '0.0.0.0:5000', publicUrl: 'https://registry.example.com' }, {});
    expect(main.publicUrl).toBe('https://registry.example.com');
    const env = { OUTPOST_EDGE_PUBLIC_URL: 'https://sg.example.com' };
    const edge = loadEdgeConfig({ ...EDGE, listen: '0.0.0.0:5001' }, env);
    expect(edge.publicUrl).toBe('https://sg.example.com');
    expect(loadMainConfig({ listen: '127.0.0.1:5000' }, {}).publicUrl).toBeUndefined();
  });
});
