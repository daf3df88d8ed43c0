// A real OpenID Connect provider for the sign-in tests: the certified `oidc-provider` package with its development
// login screens (any login, any password). Usage: node provider.mjs <port> <redirect_uri> <groups.json>
// groups.json maps a login (the account's `sub`) to the values of its `groups` claim, or to an object
// {"groups": [...], "preferred_username": "..."} for an account whose name differs from its login; it is read at each
// sign-in, so a test can change it.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, redirectUri, groupsFile] = process.argv.slice(2);
const profileOf = (login) => {
  const entry = JSON.parse(readFileSync(groupsFile, 'utf8'))[login] || [];
  return Array.isArray(entry) ? { groups: entry } : entry;
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'mesh-portal',
    client_secret: 'mesh-portal-secret',
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@example.com`,
          email_verified: true,
          preferred_username: profileOf(id).preferred_username || id,
          given_name: id.charAt(0).toUpperCase() + id.slice(1),
          family_name: 'Tester',
          groups: profileOf(id).groups || [],
        };
      },
    };
  },
  pkce: { required: () => false },
  cookies: { keys: ['mesh-portal-test-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${port}`));
