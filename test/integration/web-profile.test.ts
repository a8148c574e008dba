import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, createOrg, createUser } from '../helpers/api-client.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await createUser(main.url, 'bob', { fullName: 'Bob Builder' });
  await createOrg(main.url, 'acme');
  await fetch(`${main.url}/api/v0/accounts/acme/members/bob`, {
    method: 'PUT',
    headers: { Authorization: ADMIN, 'Content-Type': 'application/json' },
    body: '{}',
  });
});
afterAll(async () => {
  await main.stop();
});

const v2Status = async (user: string, password: string) =>
  (await fetch(`${main.url}/v2/`, { headers: { Authorization: basicAuth(user, password) } })).status;

describe('GET /profile', () => {
  it('shows the account, its organizations and the content cache placeholder', async () => {
    const web = new WebClient(main.url);
    await web.signIn('bob', PASSWORD);
    const page = await web.get('/profile');
    expect(page.status).toBe(200);
    const text = textOf(page.html);
    expect(text).toMatch(/Username bob Full name Bob Builder Role user/);
    expect(text).toMatch(/Organizations acme/);
    expect(text).toContain('Content cache');
    expect(text).toContain('No caches configured yet');
    for (const id of ['f-currentPassword', 'f-newPassword', 'f-confirmPassword'])
      expect(page.html).toContain(`<label for="${id}">`);
  });
});

describe('POST /profile/password', () => {
  it('explains each refusal on the form and changes nothing', async () => {
    await createUser(main.url, 'carol');
    const web = new WebClient(main.url);
    await web.signIn('carol', PASSWORD);
    const cases: Array<[Record<string, string>, number, string]> = [
      [
        { currentPassword: PASSWORD, newPassword: 'new-password-1', confirmPassword: 'new-password-2' },
        400,
        'The new password and its confirmation do not match.',
      ],
      [
        { currentPassword: 'wrong-password', newPassword: 'new-password-1', confirmPassword: 'new-password-1' },
        400,
        'Your current password is not correct.',
      ],
      [
        { currentPassword: PASSWORD, newPassword: 'short', confirmPassword: 'short' },
        400,
        'Password must be at least 8 characters.',
      ],
      [
        { currentPassword: '', newPassword: '', confirmPassword: '' },
        400,
        'Enter your current password and the new one.',
      ],
    ];
    for (const [fields, status, message] of cases) {
      const res = await web.submit('/profile', '/profile/password', fields);
      expect(res.status, message).toBe(status);
      expect(textOf(res.html)).toContain(message);
    }
    expect(await v2Status('carol', PASSWORD)).toBe(200);
  });

  it('changes the password, keeps this browser signed in and signs out the other sessions', async () => {
    await createUser(main.url, 'dave');
    const here = new WebClient(main.url);
    await here.signIn('dave', PASSWORD);
    const elsewhere = new WebClient(main.url);
    await elsewhere.signIn('dave', PASSWORD);

    const res = await here.submit('/profile', '/profile/password', {
      currentPassword: PASSWORD,
      newPassword: 'brand-new-password',
      confirmPassword: 'brand-new-password',
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe('/profile');
    const after = await here.get('/profile');
    expect(after.status).toBe(200);
    expect(textOf(after.html)).toContain('Your password has been changed');
    expect((await elsewhere.get('/profile')).status).toBe(302);

    expect(await v2Status('dave', 'brand-new-password')).toBe(200);
    expect(await v2Status('dave', PASSWORD)).toBe(401);
  });
});
