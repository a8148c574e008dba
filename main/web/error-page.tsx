/** @module The page shown for a refused or failed request (403, 404, 429, 500, ...). */
import type { FC, PropsWithChildren } from 'hono/jsx';

export interface ErrorPageProps {
  status: number;
  title: string;
  message: string;
  /** Whether to offer the sign-in link (the caller is anonymous). */
  offerSignIn?: boolean;
}

export const ErrorPage: FC<PropsWithChildren<ErrorPageProps>> = (p) => (
  <section class="card error-page" aria-labelledby="error-title">
    <div class="code" aria-hidden="true">
      {p.status}
    </div>
    <h1 id="error-title">{p.title}</h1>
    <p>{p.message}</p>
    {p.children}
    <div class="form-actions">
      <a class="btn" href="/repositories">
        Go to repositories
      </a>
      {p.offerSignIn && (
        <a class="btn btn-primary" href="/sign-in">
          Sign in
        </a>
      )}
    </div>
  </section>
);
