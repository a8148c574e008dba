/**
 * @module scan/sbom-cyclonedx
 * Renders an inventory as CycloneDX 1.5 JSON (CycloneDX JSON schema bom-1.5: required "bomFormat" and
 * "specVersion"; each component requires "type" and "name"). Pure: no clock, no randomness; the serial number
 * is derived from the image digest and time. The image is metadata.component (type "container"); the distro,
 * when known, is an "operating-system" component; each package a "library" with its purl, and the layer
 * and path it came from as properties in the "outpost:" namespace (CycloneDX property taxonomy allows an
 * organisation's own prefix).
 */
import { derivedUuid, isoSeconds, type SbomSubject } from './sbom-ids.js';
import type { Inventory, InventoryPackage } from './types.js';

function group(p: InventoryPackage): string | undefined {
  return p.ecosystem === 'maven' || p.ecosystem === 'npm' || p.ecosystem === 'golang' ? p.namespace : undefined;
}

export function toCycloneDx(inventory: Inventory, subject: SbomSubject): Record<string, unknown> {
  const components: Record<string, unknown>[] = [];
  if (inventory.distro) {
    components.push({
      type: 'operating-system',
      'bom-ref': `os:${inventory.distro.id}`,
      name: inventory.distro.id,
      ...(inventory.distro.versionId ? { version: inventory.distro.versionId } : {}),
      ...(inventory.distro.prettyName ? { description: inventory.distro.prettyName } : {}),
    });
  }
  for (const p of inventory.packages) {
    const g = group(p);
    components.push({
      type: 'library',
      'bom-ref': `${p.purl}#${p.path}`,
      ...(g ? { group: g } : {}),
      name: p.name,
      version: p.version,
      purl: p.purl,
      properties: [
        { name: 'outpost:layer', value: p.layer },
        { name: 'outpost:path', value: p.path },
        ...(p.sourceName ? [{ name: 'outpost:source-name', value: p.sourceName }] : []),
        ...(p.sourceVersion ? [{ name: 'outpost:source-version', value: p.sourceVersion }] : []),
      ],
    });
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${derivedUuid('cyclonedx', subject.digest, isoSeconds(subject.createdAt))}`,
    version: 1,
    metadata: {
      timestamp: isoSeconds(subject.createdAt),
      tools: { components: [{ type: 'application', name: subject.tool }] },
      component: { type: 'container', 'bom-ref': subject.digest, name: subject.name, version: subject.digest },
    },
    components,
  };
}
