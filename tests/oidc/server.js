// A real OpenID Connect provider for the end-to-end tests, on loopback.
//   node server.js --port 9000 --client-id tunnelactors --client-secret s3cret --redirect-uri https://localhost:8443/cdn-cgi/access/oidc/callback
// Users (password = "<name>-password"): alice (engineering), bob (finance), carol (contractors),
// and dan, whose address the IdP has not verified (email_verified: false).
// oidc-provider's built-in dev login accepts any password, so it is off and this file serves
// its own login form; consent is granted automatically for the test client.
import http from 'node:http';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' }, 'client-id': { type: 'string' }, 'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
  },
});
const port = Number(args.port);
const issuer = `http://127.0.0.1:${port}`;

const users = {
  alice: { email: 'alice@example.com', groups: ['engineering'] },
  bob: { email: 'bob@example.com', groups: ['finance'] },
  carol: { email: 'carol@contractor.test', groups: ['contractors'] },
  dan: { email: 'dan@example.com', groups: ['engineering'], unverified: true },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  async findAccount(ctx, id) {
    const user = users[id];
    if (!user) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, email: user.email, email_verified: !user.unverified, groups: user.groups }) };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
  scopes: ['openid', 'email', 'groups'],
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  conformIdTokenClaims: false, // put email and groups into the id_token itself
  cookies: { keys: ['tunnelactors-test-idp'] },
});

const page = (uid, error) => `<!doctype html><html><head><title>Test IdP sign-in</title></head><body>
<h1>Test identity provider</h1>${error ? `<p id="error">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Username <input id="username" name="username" autofocus></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="sign-in" type="submit">Sign in</button></form></body></html>`;

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

async function interaction(req, res) {
  const uid = req.url.split('/')[2];
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'POST' && req.url.endsWith('/login')) {
    const form = await body(req);
    const name = form.get('username');
    if (!users[name] || form.get('password') !== `${name}-password`) {
      res.writeHead(401, { 'content-type': 'text/html' });
      return res.end(page(uid, 'Wrong username or password'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: name } }, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === 'consent') {
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(page(uid));
}

const handle = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => { res.writeHead(500); res.end(String(err)); });
  } else {
    handle(req, res);
  }
}).listen(port, '127.0.0.1', () => console.log(`test IdP listening on ${issuer}`));
