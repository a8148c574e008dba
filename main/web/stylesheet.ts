/**
 * @module The web pages' one stylesheet, hand-written: a neutral palette, a dark header, cards,
 * tables, forms and buttons. Served by static-routes.ts under a content-hashed URL.
 *
 * Class names are short and flat (`.card`, `.table`, `.btn-danger`); pages compose them and
 * never carry inline styles, so the Content-Security-Policy can forbid inline CSS.
 */
export const STYLESHEET = `
:root {
  --bg: #f5f6f8;
  --surface: #ffffff;
  --border: #e2e5ea;
  --border-strong: #cdd2da;
  --text: #1b2230;
  --muted: #5f6878;
  --header: #111827;
  --header-text: #d1d5db;
  --accent: #2f5be0;
  --accent-hover: #2349bd;
  --accent-soft: #eaf0fe;
  --danger: #c0392b;
  --danger-soft: #fdecea;
  --success: #1e7a4c;
  --success-soft: #e6f4ec;
  --warning-soft: #fff6e0;
  --warning: #8a5a00;
  --radius: 8px;
  --mono: ui-monospace, SFMono-Regular, "JetBrains Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { font-size: 15px; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font-family:
    system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif;
  line-height: 1.5;
  -webkit-font-smoothing: antialiased;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
/* Links inside running text are underlined: colour alone does not tell them apart (WCAG 1.4.1). */
p a, .alert a, .help a, a.inline-link { text-decoration: underline; text-underline-offset: 2px; }
code, .mono { font-family: var(--mono); font-size: 0.9em; }
h1, h2, h3 { line-height: 1.25; margin: 0 0 0.5rem; font-weight: 600; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.15rem; }
h3 { font-size: 1rem; }
/* Long names (a repository at a digest) break rather than widen the page. */
h1, .breadcrumbs { overflow-wrap: anywhere; }
p { margin: 0 0 0.75rem; }
.skip-link { position: absolute; left: -999px; top: 0; background: var(--surface); padding: 0.5rem 1rem; z-index: 10; }
.skip-link:focus { left: 1rem; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }

/* Header */
.site-header { background: var(--header); color: var(--header-text); }
.site-header .inner { display: flex; align-items: center; gap: 2rem; height: 56px; }
.brand {
  display: flex; align-items: center; gap: 0.55rem; color: #fff; font-weight: 650; font-size: 1.1rem;
  letter-spacing: 0.01em;
}
.brand:hover { text-decoration: none; }
.brand-mark {
  display: inline-grid; place-items: center; width: 26px; height: 26px; border-radius: 6px; background: var(--accent);
  color: #fff; font-size: 0.8rem; font-weight: 700;
}
.main-nav { display: flex; gap: 0.25rem; flex: 1; }
.main-nav a { color: var(--header-text); padding: 0.4rem 0.75rem; border-radius: 6px; font-weight: 500; }
.main-nav a:hover { color: #fff; background: rgba(255,255,255,0.08); text-decoration: none; }
.main-nav a[aria-current="page"] { color: #fff; background: rgba(255,255,255,0.14); }
.user-menu { display: flex; align-items: center; gap: 0.75rem; }
.user-menu .who { color: #fff; font-weight: 500; }
.user-menu .who:hover { text-decoration: none; }
.avatar {
  display: inline-grid; place-items: center; width: 28px; height: 28px; border-radius: 50%; background: #374151;
  color: #fff; font-size: 0.8rem; font-weight: 600; text-transform: uppercase; margin-right: 0.4rem;
}
.site-header .btn { background: transparent; color: var(--header-text); border-color: #374151; }
.site-header :focus-visible { outline-color: #fff; }
.site-header .btn:hover { color: #fff; border-color: #6b7280; background: transparent; }

/* Page frame */
.container { max-width: 1120px; margin: 0 auto; padding: 0 1.5rem; }
main.container { padding-top: 2rem; padding-bottom: 3rem; }
.page-head {
  display: flex; align-items: flex-end; justify-content: space-between; gap: 1rem; margin-bottom: 1.5rem;
  flex-wrap: wrap;
}
.page-head p { color: var(--muted); margin: 0; }
.breadcrumbs { font-size: 0.9rem; color: var(--muted); margin-bottom: 0.35rem; }
.breadcrumbs a { color: var(--muted); }
.site-footer { color: var(--muted); font-size: 0.85rem; padding-top: 1.5rem; padding-bottom: 2.5rem; }
.site-footer .inner { border-top: 1px solid var(--border); padding-top: 1.25rem; }
.layout-split { display: grid; grid-template-columns: 220px 1fr; gap: 1.5rem; align-items: start; }
.stack > * + * { margin-top: 1.5rem; }
/* Grid items may shrink below their content's width, so a wide table scrolls inside its container. */
.layout-split > *, .grid-2 > * { min-width: 0; }
.grid-2 { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; align-items: start; }
.grid-2.equal { align-items: stretch; }
.title-badges { display: inline-flex; gap: 0.4rem; margin-left: 0.6rem; vertical-align: middle; }
/* Narrow screens: one column; the header wraps, the navigation on a row of its own, never hidden. */
@media (max-width: 800px) {
  .layout-split, .grid-2 { grid-template-columns: 1fr; }
  .container { padding: 0 1rem; }
  main.container { padding-top: 1.25rem; }
  .site-header .inner { flex-wrap: wrap; height: auto; gap: 0.5rem 1rem; padding-top: 0.6rem; padding-bottom: 0.6rem; }
  .main-nav { order: 3; flex-basis: 100%; flex-wrap: wrap; margin-left: -0.75rem; }
  .user-menu { margin-left: auto; }
}

/* Cards */
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); }
.card-head {
  display: flex; align-items: center; justify-content: space-between; gap: 1rem; padding: 0.9rem 1.25rem;
  border-bottom: 1px solid var(--border);
}
.card-head h2 { margin: 0; }
.card-head .hint { color: var(--muted); font-size: 0.9rem; }
.card-body { padding: 1.25rem; }
.pull-source { margin: 0.75rem 0 0; color: var(--muted); font-size: 0.9rem; }
.search-form { display: flex; gap: 0.5rem; padding-bottom: 0; }
.search-form input { flex: 1; min-width: 0; }
.card-foot {
  padding: 0.75rem 1.25rem; border-top: 1px solid var(--border); display: flex; justify-content: space-between;
  align-items: center; color: var(--muted); font-size: 0.9rem;
}
.narrow { max-width: 400px; margin: 3rem auto; }
.flash-narrow { max-width: 400px; margin: 1rem auto -1.5rem; }
.empty { padding: 2rem 1.25rem; text-align: center; color: var(--muted); }
.empty strong { display: block; color: var(--text); margin-bottom: 0.25rem; }

/* Side navigation */
.side-nav { display: flex; flex-direction: column; padding: 0.5rem; }
.side-nav h2 {
  font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted);
  padding: 0.5rem 0.75rem 0.25rem; margin: 0;
}
.side-nav a {
  color: var(--text); padding: 0.35rem 0.75rem; border-radius: 6px; display: flex; justify-content: space-between;
}
.side-nav a:hover { background: var(--bg); text-decoration: none; }
.side-nav a[aria-current="page"] { background: var(--accent-soft); color: var(--accent); font-weight: 500; }
.side-note { padding: 0.35rem 0.75rem; font-size: 0.85rem; }
/* On narrow screens the entries wrap in rows rather than stacking a column above the page. */
@media (max-width: 800px) {
  .side-nav { flex-direction: row; flex-wrap: wrap; }
  .side-nav h2 { flex-basis: 100%; }
}

/* Tables: each sits in a scroll container, so a wide one scrolls by itself, never the page. */
/* Relative: visually hidden cells (position: absolute) are clipped here too, not placed off the page. */
.table-scroll { overflow-x: auto; max-width: 100%; position: relative; }
.table { width: 100%; border-collapse: collapse; }
/* A wide table scrolls inside its card on a narrow screen, never the page. */
.table-scroll { overflow-x: auto; }
.table th, .table td {
  text-align: left; padding: 0.65rem 1.25rem; border-bottom: 1px solid var(--border); vertical-align: middle;
}
.table th {
  font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); font-weight: 600;
  background: #fafbfc;
}
.table tbody th[scope="row"] {
  font-size: inherit; text-transform: none; letter-spacing: normal; color: var(--text); font-weight: 500;
  background: none;
}
.table tr:last-child td { border-bottom: none; }
.table tbody tr:hover { background: #fafbfd; }
.table .num { text-align: right; white-space: nowrap; }
.table .actions { text-align: right; white-space: nowrap; }
.table .actions form { display: inline; }
.table .actions form + form { margin-left: 0.35rem; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.repo-name { font-weight: 600; }

/* Badges */
.badge {
  display: inline-block; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.75rem; font-weight: 600;
  border: 1px solid transparent; vertical-align: middle;
}
.badge-public { background: var(--success-soft); color: var(--success); }
.badge-private { background: #eef0f3; color: #4b5563; }
.badge-admin { background: var(--accent-soft); color: var(--accent); }
.badge-inactive { background: var(--danger-soft); color: var(--danger); }
.badge-neutral { background: #eef0f3; color: #4b5563; }
.badge-up { background: var(--success-soft); color: var(--success); }
.badge-down { background: var(--danger-soft); color: var(--danger); }
/* Vulnerability severities (tag page) */
.sev-critical { background: var(--danger); color: #fff; }
.sev-high { background: var(--danger-soft); color: var(--danger); }
.sev-medium { background: var(--warning-soft); color: var(--warning); }
.sev-low, .sev-unknown { background: #eef0f3; color: #4b5563; }
.sev-counts { display: flex; gap: 1rem; flex-wrap: wrap; margin: 0; padding: 0; list-style: none; }
.stack-small > * + * { margin-top: 0.75rem; }
details.packages summary { cursor: pointer; font-weight: 500; }

/* Forms */
.field { margin-bottom: 1rem; }
.field label, .label { display: block; font-weight: 500; margin-bottom: 0.3rem; }
.field .help { color: var(--muted); font-size: 0.85rem; margin-top: 0.25rem; }
input[type="text"], input[type="password"], input[type="search"], select, textarea {
  width: 100%; padding: 0.5rem 0.7rem; font: inherit; color: inherit; background: #fff;
  border: 1px solid var(--border-strong); border-radius: 6px;
}
textarea { font-family: var(--mono); font-size: 0.9rem; resize: vertical; min-height: 4.5rem; }
input[type="text"]:focus, input[type="password"]:focus, input[type="search"]:focus, select:focus, textarea:focus {
  outline: none; border-color: var(--accent); box-shadow: 0 0 0 3px rgba(47,91,224,0.18);
}
.check { display: flex; align-items: flex-start; gap: 0.55rem; margin-bottom: 0.9rem; }
.check input { margin-top: 0.3rem; }
.check .help { color: var(--muted); font-size: 0.85rem; display: block; }
.form-row { display: flex; gap: 0.75rem; align-items: flex-start; flex-wrap: wrap; margin-bottom: 1rem; }
.form-row .field { flex: 1; min-width: 160px; margin-bottom: 0; }
.form-actions { display: flex; gap: 0.75rem; align-items: center; margin-top: 0.5rem; }
fieldset { border: none; padding: 0; margin: 0; }
legend { font-weight: 600; margin-bottom: 0.5rem; padding: 0; }

/* Buttons */
.btn {
  display: inline-flex; align-items: center; gap: 0.4rem; padding: 0.45rem 0.9rem; font: inherit; font-weight: 500;
  font-size: 0.92rem;
  border-radius: 6px; border: 1px solid var(--border-strong); background: #fff; color: var(--text); cursor: pointer;
  line-height: 1.3;
}
.btn:hover { background: #f3f4f6; text-decoration: none; }
.btn-primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn-primary:hover { background: var(--accent-hover); border-color: var(--accent-hover); }
.btn-danger { color: var(--danger); border-color: #e8b4ae; }
.btn-danger:hover { background: var(--danger-soft); }
.btn-small { padding: 0.2rem 0.6rem; font-size: 0.82rem; }
.btn-block { width: 100%; justify-content: center; padding: 0.6rem; }

/* Alerts */
.alert { padding: 0.75rem 1rem; border-radius: 6px; margin-bottom: 1.25rem; border: 1px solid; }
.alert-error { background: var(--danger-soft); border-color: #f2c4be; color: #8e2419; }
.alert-success { background: var(--success-soft); border-color: #bfe2cd; color: #165c39; }
.alert-info { background: var(--accent-soft); border-color: #c9d6fb; color: #1e3a8a; }
.alert-warning { background: var(--warning-soft); border-color: #f2dca4; color: var(--warning); }

/* Details lists */
.details { display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1.5rem; margin: 0; }
.details dt { color: var(--muted); }
.details dd { margin: 0; }
.pager .btn[aria-current="page"] { background: var(--accent-soft); color: var(--accent); font-weight: 500; }

/* Pull commands */
.command { display: flex; align-items: center; gap: 0.4rem; }
.command code {
  background: #f3f4f6; border: 1px solid var(--border); border-radius: 6px; padding: 0.2rem 0.5rem; user-select: all;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 480px;
}
.command-large code { max-width: none; flex: 1; padding: 0.5rem 0.75rem; font-size: 0.95rem; }
.digest { font-family: var(--mono); font-size: 0.85em; color: var(--muted); cursor: help; }

/* Content caches */
.table-compact th, .table-compact td { padding-left: 0.8rem; padding-right: 0.8rem; }
.table-compact th:first-child, .table-compact td:first-child { padding-left: 1.25rem; }
.table-compact th:last-child, .table-compact td:last-child { padding-right: 1.25rem; }
.host {
  display: block; max-width: 15rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  font-family: var(--mono); font-size: 0.82rem; color: var(--muted);
}
.chain { white-space: nowrap; }
.net-list { list-style: none; margin: 0; padding: 0; font-family: var(--mono); font-size: 0.85rem; }
.health-note { display: block; color: var(--muted); font-size: 0.82rem; margin-top: 0.15rem; white-space: nowrap; }
.health-error { display: block; color: var(--danger); font-size: 0.82rem; overflow-wrap: anywhere; }
.table .health-error { max-width: 13rem; }
.check .badge { margin-left: 0.35rem; }

/* Job logs wrap their long lines on narrow screens. */
.job-log { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }

/* Pagination */
.pager { display: flex; gap: 0.5rem; }

/* Error pages */
.error-page { text-align: center; padding: 3rem 1rem; }
.error-page .code {
  font-size: 3rem; font-weight: 700; color: var(--border-strong); line-height: 1; margin-bottom: 0.75rem;
}
.error-page p { color: var(--muted); max-width: 520px; margin: 0 auto 1.25rem; }
.error-page .form-actions { justify-content: center; }

/* Sign-in */
.sign-in-brand { text-align: center; margin-bottom: 1.5rem; }
.sign-in-brand .brand-mark {
  width: 44px; height: 44px; font-size: 1.2rem; border-radius: 10px; margin-bottom: 0.75rem;
}
.sign-in-brand p { color: var(--muted); margin: 0; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
}
.usage-chart { margin: 0; position: relative; }
.usage-chart svg { display: block; width: 100%; height: auto; max-width: 720px; }
.chart-axis { stroke: var(--border-strong); stroke-width: 1; }
.chart-bar { fill: #9db4f2; }
.chart-line { fill: none; stroke: var(--success); stroke-width: 2.5; stroke-linejoin: round; }
.chart-label { fill: var(--muted); font-size: 14px; }
.chart-legend { display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; color: var(--muted); font-size: 0.85rem; }
.legend-bar::before, .legend-line::before {
  content: ""; display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.35rem; vertical-align: -1px;
}
.legend-bar::before { background: #9db4f2; }
.legend-line::before { height: 3px; vertical-align: 3px; background: var(--success); }
`;
