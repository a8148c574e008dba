/** The pure parts of image details: secret masking, config parsing, history alignment. */
import { describe, expect, it } from 'vitest';
import { isSecretName, toEnvEntries } from '../../../main/images/secret-env.js';
import { parseImageConfig } from '../../../main/images/image-config.js';
import { alignHistory } from '../../../main/images/history.js';
import { dockerfileLine } from '../../../main/web/history-line.js';

const layer = (size: number) => ({ digest: `sha256:${String(size).padStart(64, '0')}`, mediaType: 'x', size });

describe('isSecretName', () => {
  it('masks names containing a secret word, in any case', () => {
    for (const name of [
      'DB_PASSWORD',
      'MYSQL_ROOT_PASSWD',
      'GITHUB_TOKEN',
      'aws_secret_access_key',
      'API_KEY',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'BASIC_AUTH',
      'PRIVATE_PEM',
      'SESSION_SIGNING',
      'SENTRY_DSN',
      'REDIS_PASS',
    ]) {
      expect(isSecretName(name), name).toBe(true);
    }
  });

  it('shows ordinary names, and PWD (the working directory)', () => {
    for (const name of ['PATH', 'HOME', 'LANG', 'NODE_VERSION', 'PWD', 'LOG_LEVEL', 'APP_HOME']) {
      expect(isSecretName(name), name).toBe(false);
    }
  });

  it('splits at the first = and keeps a line without one as a name with an empty value', () => {
    expect(toEnvEntries(['A=b=c', 'LONELY', 'TOKEN=x=y'])).toEqual([
      { name: 'A', value: 'b=c', masked: false },
      { name: 'LONELY', value: '', masked: false },
      { name: 'TOKEN', value: '********', masked: true },
    ]);
  });
});

describe('parseImageConfig', () => {
  const parse = (value: unknown) => parseImageConfig(Buffer.from(JSON.stringify(value)));

  it('gives undefined for bytes that are not a JSON object', () => {
    expect(parseImageConfig(Buffer.from('{"a":'))).toBeUndefined();
    expect(parse([1, 2])).toBeUndefined();
    expect(parse('text')).toBeUndefined();
  });

  it('leaves out fields of the wrong type and keeps the rest', () => {
    expect(
      parse({
        os: 'linux',
        architecture: 7,
        config: { Cmd: 'not a list', Entrypoint: ['/run'], Labels: { a: 'b', n: 1 }, Env: 'PATH=/bin' },
        history: 'none',
      }),
    ).toEqual({ os: 'linux', entrypoint: ['/run'], env: [], exposedPorts: [], labels: { a: 'b' }, history: [] });
  });

  it("masks a secret's value in the history too, where ENV and build-arg steps record it in clear", () => {
    const details = parse({
      config: { Env: ['DB_PASSWORD=hunter2', 'PATH=/bin'] },
      history: [
        { created_by: '/bin/sh -c #(nop)  ENV DB_PASSWORD=hunter2', empty_layer: true },
        { created_by: 'ENV API_KEY="two words" LANG=C.UTF-8 # buildkit', empty_layer: true },
        { created_by: "|2 GITHUB_TOKEN='ghp_x' VERSION=1.2 /bin/sh -c make" },
        { created_by: 'RUN |1 NPM_AUTH=abc=def /bin/sh -c npm ci # buildkit' },
        { created_by: '/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/bin' },
      ],
    });
    expect(details?.history.map((h) => h.createdBy)).toEqual([
      '/bin/sh -c #(nop)  ENV DB_PASSWORD=********',
      'ENV API_KEY=******** LANG=C.UTF-8 # buildkit',
      '|2 GITHUB_TOKEN=******** VERSION=1.2 /bin/sh -c make',
      'RUN |1 NPM_AUTH=******** /bin/sh -c npm ci # buildkit',
      '/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/bin',
    ]);
    expect(JSON.stringify(details)).not.toMatch(/hunter2|two words|ghp_x|abc=def/);
  });
});

describe('alignHistory', () => {
  it('gives each non-empty step the next layer and empty steps none', () => {
    const steps = alignHistory(
      [
        { emptyLayer: false, createdBy: 'ADD' },
        { emptyLayer: true, createdBy: 'ENV' },
        { emptyLayer: false, createdBy: 'RUN' },
      ],
      [layer(1), layer(2)],
    );
    expect(steps.map((s) => [s.createdBy, s.layer?.size, s.layer?.index])).toEqual([
      ['ADD', 1, 0],
      ['ENV', undefined, undefined],
      ['RUN', 2, 1],
    ]);
  });

  it('lists layers no step claims after the steps, and leaves steps beyond the layers without one', () => {
    expect(
      alignHistory([{ emptyLayer: false, createdBy: 'ADD' }], [layer(1), layer(2)]).map((s) => s.layer?.size),
    ).toEqual([1, 2]);
    expect(
      alignHistory(
        [
          { emptyLayer: false, createdBy: 'ADD' },
          { emptyLayer: false, createdBy: 'RUN' },
        ],
        [layer(1)],
      ).map((s) => [s.createdBy, s.layer?.size]),
    ).toEqual([
      ['ADD', 1],
      ['RUN', undefined],
    ]);
  });
});

describe('dockerfileLine', () => {
  it('turns the shell forms builders record into Dockerfile lines', () => {
    expect(dockerfileLine('/bin/sh -c #(nop)  CMD ["sh"]')).toBe('CMD ["sh"]');
    expect(dockerfileLine('/bin/sh -c #(nop) ADD file:4b03 in / ')).toBe('ADD file:4b03 in /');
    expect(dockerfileLine('/bin/sh -c apk add --no-cache curl')).toBe('RUN apk add --no-cache curl');
    expect(dockerfileLine('RUN /bin/sh -c apt-get update # buildkit')).toBe('RUN apt-get update');
    expect(dockerfileLine('COPY . /app # buildkit')).toBe('COPY . /app');
    expect(dockerfileLine('ENTRYPOINT ["/run"]')).toBe('ENTRYPOINT ["/run"]');
    expect(dockerfileLine(undefined)).toBe('');
  });
});
