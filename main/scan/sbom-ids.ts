/**
 * @module scan/sbom-ids
 * Deterministic identifiers for SBOM documents, so that rendering stays a pure function: the same inventory,
 * image and time give the same document. A UUID (RFC 9562 layout, version 8: "custom") derived from SHA-256.
 */
import { createHash } from 'node:crypto';

export function derivedUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x80; // version 8
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The image an SBOM describes. */
export interface SbomSubject {
  /** Repository name, e.g. "library/app". */
  name: string;
  /** Manifest digest of the image (one platform). */
  digest: string;
  /** When the document is made; RFC 3339 in the output, whole seconds. */
  createdAt: Date;
  /** Tool name and version for the creator fields, e.g. "outpost-0.1.0". */
  tool: string;
}

export function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}
