/**
 * @module The tag page's "Vulnerabilities" card for the platform shown: the scan's state told honestly
 * (not scanned, queued, scanning, failed with its message, scanned without a vulnerability database),
 * counts by severity, the findings, the installed packages (collapsed), why pulls are refused when the
 * repository's policy blocks this image, a "Scan now" button for those who may push, and SBOM downloads.
 * Renders only what it is given: the handler reads the scan and decides who sees the button.
 */
import type { FC } from 'hono/jsx';
import type { PullBlockSeverity } from '../metadata/registry.js';
import { blockingFinding, compareFindings, describeFinding } from '../registry/pull-policy.js';
import type { ImageScan } from '../scans/types.js';
import { SEVERITIES, type Finding, type Severity } from '../vulndb/types.js';
import { Alert, Card, EmptyState, ShortDigest, ActionForm } from './components.js';

// A page stays readable and bounded; the API and the SBOM give everything.
export const MAX_FINDINGS_SHOWN = 500;
export const MAX_PACKAGES_SHOWN = 2000;

export interface VulnerabilitiesProps {
  /** The platform's name (`linux/amd64`) and its manifest's scan, if it was ever queued. */
  platform: string;
  scan: ImageScan | undefined;
  /** The repository's pull policy. */
  policy: PullBlockSeverity;
  /** Where "Scan now" posts, with the viewer's CSRF token; absent for viewers who may not push. */
  scanForm?: { action: string; csrfToken: string } | undefined;
  /** SBOM download links (tag pages only: the export is addressed by tag). */
  sbomHref?: ((format: 'cyclonedx' | 'spdx') => string) | undefined;
}

const SeverityBadge: FC<{ severity: Severity }> = ({ severity }) => (
  <span class={`badge sev-${severity}`}>{severity}</span>
);

const Counts: FC<{ counts: Record<Severity, number> }> = ({ counts }) => (
  <ul class="sev-counts" aria-label="Findings by severity">
    {SEVERITIES.map((s) => (
      <li>
        <SeverityBadge severity={s} /> {counts[s]}
      </li>
    ))}
  </ul>
);

const Findings: FC<{ findings: Finding[] }> = ({ findings }) => (
  <div class="table-scroll" tabindex={0}>
    <table class="table table-compact" aria-label="Findings">
      <thead>
        <tr>
          <th scope="col">Advisory</th>
          <th scope="col">Severity</th>
          <th scope="col">Package</th>
          <th scope="col">Installed</th>
          <th scope="col">Fixed in</th>
          <th scope="col">Layer</th>
        </tr>
      </thead>
      <tbody>
        {[...findings]
          .sort(compareFindings)
          .slice(0, MAX_FINDINGS_SHOWN)
          .map((f) => (
            <tr>
              <td>
                <code>{f.id}</code>
                {f.aliases.length > 0 && <span class="muted"> {f.aliases.slice(0, 5).join(', ')}</span>}
              </td>
              <td>
                <SeverityBadge severity={f.severity} />
                {f.cvssScore !== undefined && <span class="muted"> {f.cvssScore.toFixed(1)}</span>}
              </td>
              <td>
                {f.package.name}
                {f.package.sourceName && <span class="muted"> (source {f.package.sourceName})</span>}
              </td>
              <td>
                <code>{f.package.version}</code>
              </td>
              <td>{f.fixedVersion ? <code>{f.fixedVersion}</code> : <span class="muted">no fix published</span>}</td>
              <td>
                <ShortDigest digest={f.package.layer} />
              </td>
            </tr>
          ))}
      </tbody>
    </table>
  </div>
);

const Packages: FC<{ scan: NonNullable<ImageScan['result']> }> = ({ scan }) => {
  const { packages } = scan.inventory;
  return (
    <details class="card-body packages">
      <summary>
        {packages.length} installed package{packages.length === 1 ? '' : 's'}
        {scan.inventory.distro && ` on ${scan.inventory.distro.prettyName ?? scan.inventory.distro.id}`}
      </summary>
      <div class="table-scroll" tabindex={0}>
        <table class="table table-compact" aria-label="Packages">
          <thead>
            <tr>
              <th scope="col">Package</th>
              <th scope="col">Version</th>
              <th scope="col">Ecosystem</th>
              <th scope="col">Layer</th>
            </tr>
          </thead>
          <tbody>
            {packages.slice(0, MAX_PACKAGES_SHOWN).map((p) => (
              <tr>
                <td title={p.purl}>{p.namespace ? `${p.namespace}/${p.name}` : p.name}</td>
                <td>
                  <code>{p.version}</code>
                </td>
                <td>{p.ecosystem}</td>
                <td>
                  <ShortDigest digest={p.layer} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {packages.length > MAX_PACKAGES_SHOWN && (
        <p class="muted">The first {MAX_PACKAGES_SHOWN} are shown; the SBOM lists them all.</p>
      )}
    </details>
  );
};

/** The scan's state in one sentence. */
function stateLine(scan: ImageScan | undefined): { kind: 'info' | 'error' | 'warning'; text: string } | undefined {
  if (!scan) return { kind: 'info', text: 'Not scanned yet.' };
  if (scan.state === 'queued') return { kind: 'info', text: `A scan is queued (since ${scan.queuedAt}).` };
  if (scan.state === 'scanning') return { kind: 'info', text: `Scanning now (started ${scan.startedAt ?? ''}).` };
  if (scan.state === 'failed')
    return { kind: 'error', text: `The last scan failed: ${scan.error ?? 'no reason given'}.` };
  return undefined;
}

export const VulnerabilitiesSection: FC<VulnerabilitiesProps> = (p) => {
  const { scan, policy } = p;
  const result = scan?.result;
  const state = stateLine(scan);
  const blocking = result && blockingFinding(policy, result.vulnerabilities);
  return (
    <Card id="vulnerabilities" title="Vulnerabilities" hint={p.platform}>
      <div class="card-body stack-small">
        {blocking && (
          <Alert kind="error">
            Pulls of this image are refused: this repository blocks images with {policy} or worse vulnerabilities, and{' '}
            {describeFinding(blocking)}.
          </Alert>
        )}
        {state && <Alert kind={state.kind}>{state.text}</Alert>}
        {result && (
          <>
            <p class="muted">
              {state ? 'Showing the previous scan, ' : 'Scanned '}
              {result.scannedAt}
              {result.dbGeneration !== null && `, vulnerability database ${result.dbGeneration}`}.
            </p>
            {result.dbGeneration === null && (
              <Alert kind="warning">
                No vulnerability database had been imported when this image was scanned, so no vulnerabilities could be
                matched: import one with <code>outpost main vulndb import</code> and the image is scanned again.
              </Alert>
            )}
            <Counts counts={result.counts} />
          </>
        )}
        {p.sbomHref && result && (
          <p>
            SBOM: <a href={p.sbomHref('cyclonedx')}>CycloneDX JSON</a> · <a href={p.sbomHref('spdx')}>SPDX JSON</a>
          </p>
        )}
        {p.scanForm && (
          <ActionForm action={p.scanForm.action} csrfToken={p.scanForm.csrfToken} label="Scan now" button="Scan now" />
        )}
      </div>
      {result &&
        (result.vulnerabilities.length > 0 ? (
          <>
            <Findings findings={result.vulnerabilities} />
            {result.vulnerabilities.length > MAX_FINDINGS_SHOWN && (
              <p class="card-body muted">The first {MAX_FINDINGS_SHOWN} findings are shown; the API lists them all.</p>
            )}
          </>
        ) : (
          result.dbGeneration !== null && <EmptyState title="No known vulnerabilities" />
        ))}
      {result && <Packages scan={result} />}
    </Card>
  );
};
