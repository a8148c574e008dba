// Package URLs as the purl specification writes them (character encoding section and PURL-TYPES examples).
import { describe, expect, it } from 'vitest';
import { encodePurlComponent, formatPurl, purlOf } from '../../../main/scan/purl.js';

describe('encodePurlComponent', () => {
  it('leaves unreserved characters and the colon alone', () => {
    expect(encodePurlComponent('AZaz09.-_~:')).toBe('AZaz09.-_~:');
  });
  it('percent-encodes separators, plus, space, percent and sub-delims in upper-case hex', () => {
    expect(encodePurlComponent('a/b@c?d#e+f g%h!*')).toBe('a%2Fb%40c%3Fd%23e%2Bf%20g%25h%21%2A');
  });
  it('encodes non-ASCII as UTF-8 bytes', () => {
    expect(encodePurlComponent('é')).toBe('%C3%A9');
  });
});

describe('formatPurl', () => {
  it('writes the spec’s Debian example with an epoch colon unencoded and sorted qualifiers', () => {
    expect(
      formatPurl({
        type: 'deb',
        namespace: 'debian',
        name: 'curl',
        version: '1:7.50.3-1',
        qualifiers: { distro: 'jessie', arch: 'i386' },
      }),
    ).toBe('pkg:deb/debian/curl@1:7.50.3-1?arch=i386&distro=jessie');
  });
  it('encodes an npm scope’s "@" in the namespace and leaves out empty qualifiers', () => {
    expect(
      formatPurl({ type: 'npm', namespace: '@types', name: 'node', version: '20.19.43', qualifiers: { x: '' } }),
    ).toBe('pkg:npm/%40types/node@20.19.43');
  });
  it('keeps each slash-separated namespace segment, encoding inside segments', () => {
    expect(formatPurl({ type: 'golang', namespace: 'github.com/spf13', name: 'cobra', version: 'v1.9.1' })).toBe(
      'pkg:golang/github.com/spf13/cobra@v1.9.1',
    );
  });
  it('encodes "+" in a version so that it cannot be read back as a space', () => {
    expect(formatPurl({ type: 'deb', namespace: 'debian', name: 'libc6', version: '2.36-9+deb12u10' })).toBe(
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u10',
    );
  });
});

describe('purlOf', () => {
  const debian = { id: 'debian', versionId: '12' };
  it('names the source package of a Debian binary package as "upstream"', () => {
    expect(
      purlOf(
        {
          ecosystem: 'deb',
          name: 'libssl3',
          version: '3.0.15-1~deb12u1',
          arch: 'amd64',
          sourceName: 'openssl',
          sourceVersion: '3.0.15-1~deb12u1',
          path: 'x',
        },
        debian,
      ),
    ).toBe('pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl');
  });
  it('uses the ubuntu namespace on Ubuntu', () => {
    expect(
      purlOf(
        { ecosystem: 'deb', name: 'bash', version: '5.2.21-2ubuntu4', path: 'x' },
        { id: 'ubuntu', versionId: '24.04' },
      ),
    ).toBe('pkg:deb/ubuntu/bash@5.2.21-2ubuntu4?distro=ubuntu-24.04');
  });
  it('lower-cases PyPI names and writes "_" as "-"', () => {
    expect(purlOf({ ecosystem: 'pypi', name: 'Charset_Normalizer', version: '3.0.1', path: 'x' }, undefined)).toBe(
      'pkg:pypi/charset-normalizer@3.0.1',
    );
  });
  it('keeps Maven coordinates as written', () => {
    expect(
      purlOf({ ecosystem: 'maven', namespace: 'org.yaml', name: 'snakeyaml', version: '2.2', path: 'x' }, debian),
    ).toBe('pkg:maven/org.yaml/snakeyaml@2.2');
  });
  it('writes Alpine packages with arch and the distro version', () => {
    expect(
      purlOf(
        { ecosystem: 'apk', name: 'musl', version: '1.2.5-r0', arch: 'x86_64', path: 'x' },
        { id: 'alpine', versionId: '3.20.3' },
      ),
    ).toBe('pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3');
  });
});
