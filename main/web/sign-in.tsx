/** @module The sign-in page: username and password, with the reason when the last try failed. */
import type { FC } from 'hono/jsx';
import { Alert, Field, PostForm } from './components.js';

export interface SignInPageProps {
  csrfToken: string;
  /** Where to go after signing in (already checked to be a local path). */
  next: string;
  username?: string;
  error?: string;
}

export const SignInPage: FC<SignInPageProps> = (p) => (
  <section class="narrow">
    <div class="sign-in-brand">
      <span class="brand-mark" aria-hidden="true">
        O
      </span>
      <h1>Sign in to Outpost</h1>
      <p>Use your registry account, the same one as for docker login.</p>
    </div>
    <div class="card">
      <div class="card-body">
        {p.error && <Alert kind="error">{p.error}</Alert>}
        <PostForm action="/sign-in" csrfToken={p.csrfToken} label="Sign in">
          <input type="hidden" name="next" value={p.next} />
          <Field
            label="Username"
            name="username"
            value={p.username}
            required
            autocomplete="username"
            autofocus={!p.username}
            maxlength={64}
          />
          <Field
            label="Password"
            name="password"
            type="password"
            required
            autocomplete="current-password"
            autofocus={Boolean(p.username)}
          />
          <button type="submit" class="btn btn-primary btn-block">
            Sign in
          </button>
        </PostForm>
      </div>
    </div>
  </section>
);
