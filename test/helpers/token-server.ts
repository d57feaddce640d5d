/**
 * A small OpenID Connect provider for tests, on node:http at 127.0.0.1 (a free port):
 * - `GET <issuer>/.well-known/openid-configuration`: the discovery document (issuer, jwks_uri, token_endpoint);
 * - `GET /jwks`: the public signing keys (RS256, or ES256 when asked);
 * - `POST /oauth/token`: OAuth 2.0 client credentials for one known client (id and secret in the form body or
 *   HTTP Basic, as the official SDK and zbctl send them) → a signed JWT with iss, sub, aud, iat, exp.
 * `mint()` makes tokens directly, also bad ones: expired, of another issuer or audience, signed by a key the
 * server does not publish. `rotateKey()` switches to a new signing key (with a new key id).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface MintOptions {
  /** Seconds until `exp` from now; negative for an expired token. Default 3600. */
  expiresIn?: number;
  /** `iss`; default the server's issuer. */
  issuer?: string;
  /** `aud`; default the server's audience. `null` leaves it out. */
  audience?: string | string[] | null;
  /** `nbf`, seconds from now. */
  notBefore?: number;
  /** Sign with a key the server does not publish; `sameKid` gives it the published key's id. */
  foreignKey?: 'sameKid' | 'otherKid';
  /** Leave `exp` out. */
  noExpiry?: boolean;
  subject?: string;
}

export interface TokenServer {
  readonly origin: string;
  /** The issuer URL (tokens' `iss`; discovery lives under it). */
  readonly issuer: string;
  /** Where clients get tokens (CAMUNDA_OAUTH_URL / zbctl --authzUrl). */
  readonly tokenUrl: string;
  readonly jwksUri: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly audience: string;
  /** Requests served so far, by endpoint. */
  readonly counts: { discovery: number; jwks: number; token: number };
  /** The form fields of every token request (with `client_secret` removed). */
  readonly tokenRequests: Record<string, string>[];
  mint(options?: MintOptions): Promise<string>;
  /** A new signing key with a new key id; `keepOld` keeps publishing the previous one. */
  rotateKey(keepOld?: boolean): Promise<void>;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** Signing algorithms the server can use (one per server). */
export type TokenAlgorithm = 'RS256' | 'ES256';

async function newKey(alg: TokenAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/**
 * Starts a token server. Stop it with `close()` (in `t.after`).
 *
 * @example
 * const idp = await startTokenServer();
 * t.after(() => idp.close());
 * const engine = await startEngine({ auth: { issuer: idp.issuer, audience: idp.audience } });
 */
export async function startTokenServer(
  options: { clientId?: string; clientSecret?: string; audience?: string; algorithm?: TokenAlgorithm } = {},
): Promise<TokenServer> {
  const alg = options.algorithm ?? 'RS256';
  const clientId = options.clientId ?? 'forager-worker';
  const clientSecret = options.clientSecret ?? `secret-${randomUUID()}`;
  const audience = options.audience ?? 'zeebe-api';
  let current = await newKey(alg);
  let published: SigningKey[] = [current];
  const foreign = await newKey(alg);
  const counts = { discovery: 0, jwks: 0, token: 0 };
  const tokenRequests: Record<string, string>[] = [];
  let origin = '';
  let issuer = '';

  const mint = async (mintOptions: MintOptions = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const key = mintOptions.foreignKey ? foreign : current;
    const kid = mintOptions.foreignKey === 'sameKid' ? current.kid : key.kid;
    const claims: Record<string, unknown> = { scope: 'zeebe', azp: clientId };
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg, typ: 'JWT', kid })
      .setIssuer(mintOptions.issuer ?? issuer)
      .setSubject(mintOptions.subject ?? clientId)
      .setIssuedAt(now)
      .setJti(randomUUID());
    const aud = mintOptions.audience === undefined ? audience : mintOptions.audience;
    if (aud !== null) jwt.setAudience(aud);
    if (!mintOptions.noExpiry) jwt.setExpirationTime(now + (mintOptions.expiresIn ?? 3600));
    if (mintOptions.notBefore !== undefined) jwt.setNotBefore(now + mintOptions.notBefore);
    return jwt.sign(key.privateKey);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'GET' && url.pathname === new URL(`${issuer}/.well-known/openid-configuration`).pathname) {
      counts.discovery++;
      return json(res, 200, {
        issuer,
        jwks_uri: `${origin}/jwks`,
        token_endpoint: `${origin}/oauth/token`,
        grant_types_supported: ['client_credentials'],
        id_token_signing_alg_values_supported: [alg],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      });
    }
    if (req.method === 'GET' && url.pathname === '/jwks') {
      counts.jwks++;
      return json(res, 200, { keys: published.map((k) => k.jwk) });
    }
    if (req.method === 'POST' && url.pathname === '/oauth/token') {
      counts.token++;
      readBody(req).then(
        async (body) => {
          const form = Object.fromEntries(new URLSearchParams(body));
          // client_secret_basic (zbctl tries it first) or client_secret_post (the SDK).
          const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
          if (basic) {
            const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
            form.client_id ??= decodeURIComponent(id ?? '');
            form.client_secret ??= decodeURIComponent(secret ?? '');
          }
          const { client_secret: secret, ...shown } = form;
          tokenRequests.push(shown);
          if (form.grant_type !== 'client_credentials') {
            return json(res, 400, { error: 'unsupported_grant_type', error_description: `grant_type ${form.grant_type} is not supported` });
          }
          if (form.client_id !== clientId || secret !== clientSecret) {
            return json(res, 401, { error: 'invalid_client', error_description: 'unknown client or wrong secret' });
          }
          const access = await mint({ audience: form.audience || audience });
          return json(res, 200, { access_token: access, token_type: 'Bearer', expires_in: 3600, scope: 'zeebe' });
        },
        (error: Error) => json(res, 500, { error: 'server_error', error_description: error.message }),
      );
      return;
    }
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${origin}/realms/forager`;

  return {
    origin,
    issuer,
    tokenUrl: `${origin}/oauth/token`,
    jwksUri: `${origin}/jwks`,
    clientId,
    clientSecret,
    audience,
    counts,
    tokenRequests,
    mint,
    async rotateKey(keepOld = false) {
      const next = await newKey(alg);
      published = keepOld ? [...published, next] : [next];
      current = next;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
