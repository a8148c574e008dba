/**
 * @module An advisory's severity for one affected package: from a CVSS v3 vector when one is given (the
 * affected entry's, else the record's), else from a severity word (GitHub's LOW/MODERATE/HIGH/CRITICAL,
 * Debian's urgency low/medium/high/unimportant), else unknown. CVSS v2 and v4 vectors are not scored.
 */
import { cvss3BaseScore, ratingOf } from './cvss.js';
import type { Advisory, AffectedPackage, OsvSeverity } from './osv.js';
import type { Severity } from './types.js';

export interface SeverityOf {
  severity: Severity;
  cvssScore?: number;
  cvssVector?: string;
}

const WORDS: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
  unimportant: 'low',
};

function fromVectors(list: OsvSeverity[]): SeverityOf | undefined {
  for (const s of list) {
    if (s.type !== 'CVSS_V3') continue;
    const score = cvss3BaseScore(s.score);
    if (score !== undefined) return { severity: ratingOf(score), cvssScore: score, cvssVector: s.score };
  }
  return undefined;
}

export function severityOf(advisory: Advisory, affected: AffectedPackage): SeverityOf {
  const scored = fromVectors(affected.severity) ?? fromVectors(advisory.severity);
  if (scored) return scored;
  for (const word of [affected.severityWord, advisory.severityWord]) {
    const severity = word !== undefined ? WORDS[word.toLowerCase()] : undefined;
    if (severity) return { severity };
  }
  return { severity: 'unknown' };
}
