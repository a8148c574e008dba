/**
 * @module scan/analyzers/java
 * Java artifacts from META-INF/maven/<groupId>/<artifactId>/pom.properties inside .jar, .war and .ear files
 * (Maven Archiver writes it: groupId, artifactId, version as java.util.Properties). A jar is a zip read with
 * fflate; only pom.properties entries are inflated, each into a buffer of its declared size capped at
 * MAX_PROPERTIES_BYTES, so a lying or huge entry cannot grow memory. Jars nested in jars (Spring Boot) are
 * not opened (TODO(#12)).
 */
import { unzipSync } from 'fflate';
import type { FoundPackage, WholeFileAnalyzer } from '../types.js';

const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;
const MAX_PROPERTIES_BYTES = 64 * 1024;

/** java.util.Properties subset: key=value or key: value lines, # and ! comments. */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m?.[1]) props.set(m[1], m[2] ?? '');
  }
  return props;
}

export function parseJar(path: string, bytes: Buffer): FoundPackage[] {
  const files = unzipSync(bytes, {
    filter: (f) => POM_PROPERTIES.test(f.name) && f.originalSize <= MAX_PROPERTIES_BYTES,
  });
  const found: FoundPackage[] = [];
  for (const name of Object.keys(files).sort()) {
    const props = parseProperties(Buffer.from(files[name] ?? []).toString('utf8'));
    const groupId = props.get('groupId');
    const artifactId = props.get('artifactId');
    const version = props.get('version');
    if (groupId && artifactId && version) {
      found.push({ ecosystem: 'maven', namespace: groupId, name: artifactId, version, path });
    }
  }
  return found;
}

export const javaAnalyzer: WholeFileAnalyzer = {
  kind: 'whole',
  name: 'java',
  accepts: (file) => /\.(?:jar|war|ear)$/.test(file.path),
  parse: parseJar,
};
