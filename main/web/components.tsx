/**
 * @module Small building blocks shared by the pages: form fields, the CSRF field, alerts,
 * badges, dates, sizes, digests, pull commands and pagers. Presentation only, no data access.
 */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import { formatBytes, formatDate, formatRelative, shortDigest } from './format.js';

/** The name of the hidden form field that carries the CSRF token on every form. */
export const CSRF_FIELD = '_csrf';

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />;

/** A POST form with its CSRF field; every form on the site is one of these. */
export const PostForm: FC<PropsWithChildren<{ action: string; csrfToken: string; class?: string; label?: string }>> = (
  props,
) => (
  <form method="post" action={props.action} class={props.class} aria-label={props.label}>
    <CsrfField token={props.csrfToken} />
    {props.children}
  </form>
);

/** A form of one small button (POST with the CSRF token), such as "Remove" in a table row, with its hidden fields. */
export const ActionForm: FC<{
  action: string;
  csrfToken: string;
  /** The form's accessible name: what the button does to what ("Remove bob from builders"). */
  label: string;
  button: string;
  danger?: boolean;
  hidden?: Record<string, string>;
}> = (p) => (
  <PostForm action={p.action} csrfToken={p.csrfToken} label={p.label}>
    {Object.entries(p.hidden ?? {}).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
    <button type="submit" class={p.danger ? 'btn btn-small btn-danger' : 'btn btn-small'}>
      {p.button}
    </button>
  </PostForm>
);

/**
 * A table's header row of plain column names; the `numeric` ones are aligned with their figures, and
 * `actions` adds the last, unnamed column of row buttons.
 */
export const TableHead: FC<{ columns: string[]; numeric?: string[]; actions?: boolean }> = ({
  columns,
  numeric,
  actions,
}) => (
  <thead>
    <tr>
      {columns.map((name) => (
        <th scope="col" class={numeric?.includes(name) ? 'num' : undefined}>
          {name}
        </th>
      ))}
      {actions && (
        <th scope="col" class="actions">
          <span class="visually-hidden">Actions</span>
        </th>
      )}
    </tr>
  </thead>
);

export type AlertKind = 'error' | 'success' | 'info' | 'warning';

export const Alert: FC<PropsWithChildren<{ kind: AlertKind }>> = ({ kind, children }) => (
  <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </div>
);

export interface FieldProps {
  label: string;
  name: string;
  type?: 'text' | 'password' | 'search';
  value?: string;
  required?: boolean;
  help?: string;
  autocomplete?: string;
  autofocus?: boolean;
  placeholder?: string;
  pattern?: string;
  maxlength?: number;
  /** Overrides the id (defaults to `f-<name>`), for pages with two forms using one name. */
  id?: string;
}

export const Field: FC<FieldProps> = (p) => {
  const id = p.id ?? `f-${p.name}`;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value}
        required={p.required}
        autocomplete={p.autocomplete}
        autofocus={p.autofocus}
        placeholder={p.placeholder}
        pattern={p.pattern}
        maxlength={p.maxlength}
        aria-describedby={p.help ? `${id}-help` : undefined}
      />
      {p.help && (
        <div class="help" id={`${id}-help`}>
          {p.help}
        </div>
      )}
    </div>
  );
};

export const Checkbox: FC<{ label: string; name: string; checked?: boolean; help?: string; id?: string }> = (p) => {
  const id = p.id ?? `f-${p.name}`;
  return (
    <div class="check">
      <input type="checkbox" id={id} name={p.name} value="on" checked={p.checked} />
      <label for={id}>
        {p.label}
        {p.help && <span class="help">{p.help}</span>}
      </label>
    </div>
  );
};

export interface SelectOption {
  value: string;
  label: string;
}

/** A labelled drop-down; `value` is the option shown selected. */
export const SelectField: FC<{
  label: string;
  name: string;
  options: SelectOption[];
  value?: string | undefined;
  help?: string;
  id?: string;
}> = (p) => {
  const id = p.id ?? `f-${p.name}`;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-describedby={p.help ? `${id}-help` : undefined}>
        {p.options.map((option) => (
          <option value={option.value} selected={option.value === (p.value ?? '')}>
            {option.label}
          </option>
        ))}
      </select>
      {p.help && (
        <div class="help" id={`${id}-help`}>
          {p.help}
        </div>
      )}
    </div>
  );
};

/** A labelled multi-line text field (one entry per line, such as network lists). */
export const TextAreaField: FC<{
  label: string;
  name: string;
  value?: string | undefined;
  rows?: number;
  help?: string;
  placeholder?: string;
  id?: string;
}> = (p) => {
  const id = p.id ?? `f-${p.name}`;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <textarea
        id={id}
        name={p.name}
        rows={p.rows ?? 3}
        placeholder={p.placeholder}
        spellcheck={false}
        aria-describedby={p.help ? `${id}-help` : undefined}
      >
        {p.value ?? ''}
      </textarea>
      {p.help && (
        <div class="help" id={`${id}-help`}>
          {p.help}
        </div>
      )}
    </div>
  );
};

export type BadgeKind = 'public' | 'private' | 'admin' | 'inactive' | 'neutral' | 'up' | 'down';

export const Badge: FC<PropsWithChildren<{ kind: BadgeKind }>> = ({ kind, children }) => (
  <span class={`badge badge-${kind}`}>{children}</span>
);

/** A relative date ("3 hours ago") with the exact time on hover and in `datetime`. */
export const TimeAgo: FC<{ at: number; now: number }> = ({ at, now }) => (
  <time datetime={new Date(at).toISOString()} title={formatDate(at)}>
    {formatRelative(at, now)}
  </time>
);

export const Size: FC<{ bytes: number }> = ({ bytes }) => (
  <span title={`${bytes.toLocaleString('en-US')} bytes`}>{formatBytes(bytes)}</span>
);

/** The short digest, with the full one on hover and for screen readers. */
export const ShortDigest: FC<{ digest: string }> = ({ digest }) => (
  <code class="digest" title={digest}>
    {shortDigest(digest)}
  </code>
);

/** A command the user copies: selects in one click; a Copy button appears when scripts run. */
export const CopyCommand: FC<{ command: string; large?: boolean; label?: string }> = ({ command, large, label }) => (
  <div class={large ? 'command command-large' : 'command'}>
    <code title={command}>{command}</code>
    <button type="button" class="btn btn-small" data-copy={command} hidden aria-label={label ?? `Copy "${command}"`}>
      Copy
    </button>
  </div>
);

export const EmptyState: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <div class="empty">
    <strong>{title}</strong>
    {children}
  </div>
);

/** "Previous" / "Next" links for cursor pagination; renders nothing when neither applies. */
export const Pager: FC<{ first?: string; next?: string; summary?: Child }> = ({ first, next, summary }) =>
  first || next ? (
    <nav class="card-foot" aria-label="Pagination">
      <span>{summary}</span>
      <span class="pager">
        {first && (
          <a class="btn btn-small" href={first}>
            First page
          </a>
        )}
        {next && (
          <a class="btn btn-small" href={next} rel="next">
            Next page
          </a>
        )}
      </span>
    </nav>
  ) : null;

export const PageHead: FC<
  PropsWithChildren<{
    title: string;
    subtitle?: Child;
    badges?: Child;
    crumbs?: Array<{ href: string; label: string }> | undefined;
  }>
> = (p) => (
  <div class="page-head">
    <div>
      {p.crumbs && p.crumbs.length > 0 && (
        <nav class="breadcrumbs" aria-label="Breadcrumb">
          {p.crumbs.map((crumb, i) => (
            <>
              {i > 0 && ' / '}
              <a href={crumb.href}>{crumb.label}</a>
            </>
          ))}
        </nav>
      )}
      <h1>
        {p.title}
        {p.badges && <span class="title-badges">{p.badges}</span>}
      </h1>
      {p.subtitle && <p>{p.subtitle}</p>}
    </div>
    {p.children}
  </div>
);

/** A titled card; `id` names its heading, which labels the section for assistive technology. */
export const Card: FC<PropsWithChildren<{ id: string; title: string; hint?: Child }>> = ({
  id,
  title,
  hint,
  children,
}) => (
  <section class="card" aria-labelledby={`${id}-title`}>
    <div class="card-head">
      <h2 id={`${id}-title`}>{title}</h2>
      {hint && <span class="hint">{hint}</span>}
    </div>
    {children}
  </section>
);

/** A form's primary button, in the form's action row. */
export const SubmitButton: FC<{ label: string }> = ({ label }) => (
  <div class="form-actions">
    <button type="submit" class="btn btn-primary">
      {label}
    </button>
  </div>
);
