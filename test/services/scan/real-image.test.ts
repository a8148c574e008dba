// The scanner on layers built from this machine's real package databases and this project's node_modules.
// The expected lists come from independent sources: dpkg-query for Debian packages, the dist-info directory
// names for Python, the package.json files read directly for npm.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanImage } from '../../../main/scan/scan-image.js';
import type { Inventory } from '../../../main/scan/types.js';
import { compressedLayer, type TarEntry } from '../../helpers/layer-tar.js';

const STATUS = readFileSync('/var/lib/dpkg/status', 'utf8');
const OS_RELEASE = readFileSync('/etc/os-release');
const DIST_PACKAGES = '/usr/lib/python3/dist-packages';

interface DpkgRow {
  name: string;
  version: string;
  arch: string;
  source: string;
  sourceVersion: string;
}

function installedByDpkgQuery(): DpkgRow[] {
  // dpkg-query --showformat fields, written ${field}.
  const fields = ['db:Status-Abbrev', 'Package', 'Version', 'Architecture', 'source:Package', 'source:Version'];
  const format = `${fields.map((f) => `\${${f}}`).join('\t')}\n`;
  const out = execFileSync('dpkg-query', ['-W', `-f=${format}`]).toString();
  return out
    .split('\n')
    .filter((l) => l.startsWith('ii'))
    .map((l) => {
      const [, name = '', version = '', arch = '', source = '', sourceVersion = ''] = l.split('\t');
      return { name, version, arch, source, sourceVersion };
    });
}

function paragraphs(text: string): string[] {
  return text.split(/\n\n+/).filter((p) => p.trim() !== '');
}

const npmFiles = ['tar-stream', 'streamx', '@types/tar-stream'].map((name) => ({
  name,
  json: JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string },
}));
// Installed by Debian's python3-yaml and python3-chardet (.ci/run installs them where missing).
const distInfoOf = (prefix: string): string => {
  const found = readdirSync(DIST_PACKAGES).find((d) => d.startsWith(prefix) && d.endsWith('.dist-info'));
  if (!found) throw new Error(`no ${prefix}*.dist-info in ${DIST_PACKAGES}`);
  return found;
};
const YAML = distInfoOf('PyYAML-');
const CHARDET = distInfoOf('chardet-');
const CHARDET_VERSION = CHARDET.slice('chardet-'.length, -'.dist-info'.length);
const distInfos = [YAML, CHARDET];

describe('scanImage on a Debian image built from this machine', () => {
  const rows = installedByDpkgQuery();
  const removed = rows[0]!;
  const upgraded = rows[1]!;
  let inventory: Inventory;
  let layerDigests: string[];

  beforeAll(async () => {
    const jar = zipSync({
      'META-INF/MANIFEST.MF': Buffer.from('Manifest-Version: 1.0\r\n'),
      'META-INF/maven/org.yaml/snakeyaml/pom.properties': Buffer.from(
        '#Created by Apache Maven 3.9.5\nartifactId=snakeyaml\ngroupId=org.yaml\nversion=2.2\n',
      ),
      'org/yaml/snakeyaml/Yaml.class': Buffer.from([0xca, 0xfe, 0xba, 0xbe]),
    });
    const base: TarEntry[] = [
      { path: 'etc/' },
      { path: 'etc/os-release', content: OS_RELEASE },
      { path: 'var/lib/dpkg/status', content: STATUS },
      ...npmFiles.map((f) => ({
        path: `usr/lib/app/node_modules/${f.name}/package.json`,
        content: readFileSync(`node_modules/${f.name}/package.json`),
      })),
      // Not a package: a package.json inside a package's own tree.
      { path: 'usr/lib/app/node_modules/tar-stream/lib/package.json', content: '{"name":"x","version":"9.9.9"}' },
      ...distInfos.map((d) => ({
        path: `usr/lib/python3/dist-packages/${d}/METADATA`,
        content: readFileSync(`${DIST_PACKAGES}/${d}/METADATA`),
      })),
      { path: 'opt/app/lib/snakeyaml.jar', content: Buffer.from(jar) },
    ];
    // Layer 2 upgrades one package, removes another, hides streamx and empties dist-packages but re-adds chardet.
    const status2 = paragraphs(STATUS)
      .filter((p) => !p.startsWith(`Package: ${removed.name}\n`))
      .map((p) =>
        p.startsWith(`Package: ${upgraded.name}\n`)
          ? p.replace(`\nVersion: ${upgraded.version}\n`, `\nVersion: ${upgraded.version}+outpost1\n`)
          : p,
      )
      .join('\n\n');
    const top: TarEntry[] = [
      { path: 'var/lib/dpkg/status', content: `${status2}\n` },
      { path: 'usr/lib/app/node_modules/.wh.streamx', content: '' },
      { path: 'usr/lib/python3/dist-packages/.wh..wh..opq', content: '' },
      {
        path: `usr/lib/python3/dist-packages/${CHARDET}/METADATA`,
        content: readFileSync(`${DIST_PACKAGES}/${CHARDET}/METADATA`),
      },
    ];
    const layers = [await compressedLayer(base, 'gzip'), await compressedLayer(top, 'zstd')];
    layerDigests = layers.map((l) => l.digest);
    inventory = await scanImage(layers);
  });

  it('lists every package dpkg-query calls installed, after the upper layer removed one and upgraded one', () => {
    const debs = inventory.packages.filter((p) => p.ecosystem === 'deb');
    const expected = rows
      .filter((r) => r.name !== removed.name)
      .map((r) => ({
        name: r.name,
        version: r === upgraded ? `${r.version}+outpost1` : r.version,
        arch: r.arch,
        sourceName: r.source,
        sourceVersion: r === upgraded ? `${r.version}+outpost1` : r.sourceVersion,
      }));
    // dpkg-query's ${source:Version} equals the binary version when Source names no version.
    const got = debs.map((p) => ({
      name: p.name,
      version: p.version,
      arch: p.arch,
      sourceName: p.sourceName,
      sourceVersion: p.sourceVersion,
    }));
    const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : 1);
    expect(got.sort(byName)).toEqual(expected.sort(byName));
    expect(debs.find((p) => p.name === removed.name)).toBeUndefined();
  });

  it('credits each package to the first layer of its unbroken presence', () => {
    const deb = (name: string) => inventory.packages.find((p) => p.ecosystem === 'deb' && p.name === name);
    expect(deb(upgraded.name)?.layer).toBe(layerDigests[1]);
    expect(deb(rows[2]!.name)?.layer).toBe(layerDigests[0]);
    const chardet = inventory.packages.find((p) => p.ecosystem === 'pypi' && p.name === 'chardet');
    expect(chardet?.layer).toBe(layerDigests[0]);
  });

  it('writes Debian purls with arch, distro and the source package', () => {
    const distro = /^VERSION_ID="?([^"\n]+)/m.exec(OS_RELEASE.toString())?.[1];
    expect(inventory.distro?.id).toBe('debian');
    const adduser = inventory.packages.find((p) => p.ecosystem === 'deb' && p.name === rows[2]!.name);
    const r = rows[2]!;
    expect(adduser?.purl).toMatch(
      new RegExp(`^pkg:deb/debian/${r.name.replace(/\+/g, '%2B')}@[^?]+\\?arch=${r.arch}&distro=debian-${distro}`),
    );
  });

  it('reads node_modules packages (scoped too), not a package.json inside a package nor a whiteout one', () => {
    const npm = inventory.packages.filter((p) => p.ecosystem === 'npm').map((p) => p.purl);
    const expected = npmFiles
      .filter((f) => f.name !== 'streamx')
      .map((f) => `pkg:npm/${f.name.replace('@', '%40')}@${f.json.version}`)
      .sort();
    expect(npm).toEqual(expected);
  });

  it('reads Python METADATA, and an opaque directory hides the lower layer’s distributions', () => {
    const py = inventory.packages.filter((p) => p.ecosystem === 'pypi');
    expect(py.map((p) => `${p.name} ${p.version}`)).toEqual([`chardet ${CHARDET_VERSION}`]);
    expect(py[0]?.purl).toBe(`pkg:pypi/chardet@${CHARDET_VERSION}`);
  });

  it('reads pom.properties inside a jar', () => {
    const maven = inventory.packages.filter((p) => p.ecosystem === 'maven');
    expect(maven.map((p) => [p.purl, p.path, p.layer])).toEqual([
      ['pkg:maven/org.yaml/snakeyaml@2.2', 'opt/app/lib/snakeyaml.jar', layerDigests[0]],
    ]);
  });

  it('reports nothing skipped when every file fits the cap', () => {
    expect(inventory.skipped).toEqual([]);
  });
});

describe('scanImage on distroless status.d files', () => {
  it('reads one file per package, counting packages without a Status field as installed', async () => {
    const some = paragraphs(STATUS).slice(0, 3);
    const names = some.map((p) => /^Package: (.+)$/m.exec(p)?.[1] ?? '');
    const entries: TarEntry[] = some.map((p, i) => ({
      path: `var/lib/dpkg/status.d/${names[i]}`,
      content: `${p.replace(/^Status: .*\n/m, '')}\n`,
    }));
    entries.push({
      path: `var/lib/dpkg/status.d/${names[0]}.md5sums`,
      content: 'd41d8cd98f00b204e9800998ecf8427e  x\n',
    });
    const inventory = await scanImage([await compressedLayer(entries, 'gzip')]);
    expect(inventory.packages.map((p) => p.name).sort()).toEqual([...names].sort());
  });
});

describe('dpkg status entries', () => {
  it('count held packages, not removed ones ("deinstall ok config-files") nor half-installed', async () => {
    const [first = '', second = '', third = '', fourth = ''] = paragraphs(STATUS);
    const status = [
      first,
      fourth.replace(/^Status: .*$/m, 'Status: hold ok installed'),
      second.replace(/^Status: .*$/m, 'Status: deinstall ok config-files'),
      third.replace(/^Status: .*$/m, 'Status: install ok half-installed'),
    ].join('\n\n');
    const layer = await compressedLayer([{ path: 'var/lib/dpkg/status', content: status }], 'gzip');
    const inventory = await scanImage([layer]);
    const name = (p: string) => /^Package: (.+)$/m.exec(p)?.[1];
    expect(inventory.packages.map((p) => p.name)).toEqual([name(first), name(fourth)]);
  });
});

describe('the real dist-info names of this machine', () => {
  it('are what the METADATA files say', async () => {
    const dirs = readdirSync(DIST_PACKAGES).filter((d) => d.endsWith('.dist-info'));
    const layer = await compressedLayer(
      dirs.map((d) => ({
        path: `usr/lib/python3/dist-packages/${d}/METADATA`,
        content: readFileSync(`${DIST_PACKAGES}/${d}/METADATA`),
      })),
      'none',
    );
    const inventory = await scanImage([layer]);
    const got = inventory.packages.map((p) => `${p.name}-${p.version}`.replace(/-/g, '_').toLowerCase()).sort();
    const expected = dirs
      .map((d) =>
        d
          .replace(/\.dist-info$/, '')
          .replace(/-/g, '_')
          .toLowerCase(),
      )
      .sort();
    expect(got).toEqual(expected);
  });
});
