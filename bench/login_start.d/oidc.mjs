// npm oidc-provider with the device authorization grant (RFC 8628) and one confidential client
// using client_secret_post; default (in-memory) adapter. Port from argv[2].
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'bench', client_secret: 'bench-secret-0123456789abcdef',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  features: { deviceFlow: { enabled: true }, devInteractions: { enabled: false } },
  scopes: ['openid', 'authentication_session'],
});
provider.listen(port, '127.0.0.1', () => console.log('ready'));
