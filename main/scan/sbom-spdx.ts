/**
 * @module scan/sbom-spdx
 * Renders an inventory as SPDX 2.3 JSON (SPDX 2.3 clauses 6 and 7; spdx-schema.json v2.3: the document
 * requires spdxVersion, dataLicense "CC0-1.0", SPDXID "SPDXRef-DOCUMENT", name, documentNamespace and
 * creationInfo {created, creators}; a package requires SPDXID, name and downloadLocation, and "filesAnalyzed"
 * is false because no file list is given, which lifts the packageVerificationCode requirement).
 * Pure: the namespace's unique part is derived from the image digest and time. The image is a package with
 * primaryPackagePurpose CONTAINER that the document DESCRIBES and that CONTAINS every package; purls are
 * external references of category PACKAGE-MANAGER (clause 7.21, SPDX 2.3 spelling).
 */
import { derivedUuid, isoSeconds, type SbomSubject } from './sbom-ids.js';
import type { Inventory, InventoryPackage } from './types.js';

/** The name as its ecosystem writes it: Maven "group:artifact", npm "@scope/name", Go the module path. */
function fullName(p: InventoryPackage): string {
  if (!p.namespace) return p.name;
  return p.ecosystem === 'maven' ? `${p.namespace}:${p.name}` : `${p.namespace}/${p.name}`;
}

export interface SpdxOptions {
  /** Absolute URI the document namespace starts with, e.g. the registry's public URL plus "/spdx". */
  namespaceBase: string;
}

export function toSpdx(inventory: Inventory, subject: SbomSubject, options: SpdxOptions): Record<string, unknown> {
  const created = isoSeconds(subject.createdAt);
  const uuid = derivedUuid('spdx', subject.digest, created);
  const packages: Record<string, unknown>[] = [
    {
      SPDXID: 'SPDXRef-Image',
      name: subject.name,
      versionInfo: subject.digest,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER',
    },
  ];
  const relationships: Record<string, unknown>[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' },
  ];
  inventory.packages.forEach((p, i) => {
    const id = `SPDXRef-Package-${i + 1}`;
    packages.push({
      SPDXID: id,
      name: fullName(p),
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'LIBRARY',
      sourceInfo: `found at ${p.path} in layer ${p.layer}`,
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
    });
    relationships.push({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: id });
  });
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${subject.name}@${subject.digest}`,
    documentNamespace: `${options.namespaceBase.replace(/\/+$/, '')}/${encodeURIComponent(subject.name)}-${uuid}`,
    creationInfo: { created, creators: [`Tool: ${subject.tool}`] },
    packages,
    relationships,
  };
}
