/**
 * Authentication for the engine's gRPC and REST APIs, off unless configured: every call must carry
 * `authorization: Bearer <JWT>`, and the JWT is checked the way Camunda 8 checks it with OIDC
 * (`camunda.security.authentication.method=oidc`, `…oidc.issuer-uri`, `…oidc.audiences`):
 *
 * - the issuer's keys come from its discovery document (`<issuer>/.well-known/openid-configuration` →
 *   `jwks_uri`) or from a `jwksUri` given directly; they are cached, fetched again when a token names a key
 *   id the cache does not hold (at most once per `keysCooldownMs`), and refreshed after `keysMaxAgeMs`;
 * - the signature must verify with one of those keys (asymmetric algorithms only: RS*, PS*, ES*, EdDSA);
 * - `iss` must equal the configured issuer; `aud` must contain one of the configured audiences, if any;
 * - `exp` is required; `exp` and `nbf` are judged against wall time (not the engine's pinnable clock: a
 *   test that pins engine time must not expire tokens) with 60 s of clock skew, Spring Security's default.
 *
 * A refused gRPC call ends with 16 UNAUTHENTICATED and a sentence saying why (no token, expired, wrong
 * issuer, wrong audience, bad signature, unknown key, keys unavailable), for unary and streaming calls alike.
 * A refused REST call gets 401 with an RFC 9457 problem document and `WWW-Authenticate: Bearer` (RFC 6750).
 *
 * With auth off nothing here runs: `startEngine` wraps the handlers only when `auth` is given.
 *
 * @example
 * const verifier = createTokenVerifier({ issuer: 'https://idp.example/realms/camunda', audience: 'zeebe-api' });
 * server.addService(service, requireBearerToken(service, handlers, verifier));
 * requireBearerTokenOnRest(restServer, verifier);
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWSHeaderParameters, type JWTPayload } from 'jose';
import { wallNow } from '../time/clock.ts';

/** How the engine checks bearer tokens (the shape of `EngineOptions.auth`). */
export interface AuthOptions {
  /** The OIDC issuer (Camunda's `issuer-uri`): tokens' `iss` must equal it; its discovery document names the keys. */
  issuer: string;
  /** Accepted audiences (Camunda's `audiences`): a token's `aud` must contain one. Not checked when absent. */
  audience?: string | readonly string[];
  /** Where the issuer publishes its keys (JWKS); skips discovery when given. */
  jwksUri?: string;
}

/** Finer settings, mostly for tests. */
export interface VerifierSettings extends AuthOptions {
  /** Wall time in epoch ms; default the machine's clock. */
  now?: () => number;
  /** Tolerance for `exp` / `nbf`, in seconds. Default 60. */
  clockSkewSeconds?: number;
  /** Least time between two fetches of the keys triggered by an unknown key id. Default 30 000 ms. */
  keysCooldownMs?: number;
  /** Keys older than this are fetched again before the next check. Default 10 minutes. */
  keysMaxAgeMs?: number;
  /** Limit of one discovery or JWKS request. Default 5 000 ms. */
  fetchTimeoutMs?: number;
}

export type AuthFailure =
  | 'NO_TOKEN'
  | 'NOT_BEARER'
  | 'MALFORMED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'WRONG_ISSUER'
  | 'WRONG_AUDIENCE'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_KEY'
  | 'ALGORITHM_NOT_ALLOWED'
  | 'KEYS_UNAVAILABLE';

/** A request refused for its credentials; `message` is what the client is told. */
export class AuthError extends Error {
  constructor(
    readonly code: AuthFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** An unusable auth configuration (a bad issuer URL, an empty audience). */
export class AuthConfigError extends Error {
  readonly code = 'AUTH_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

/** Checks the `authorization` header (or gRPC metadata value) of one request. */
export interface TokenVerifier {
  readonly issuer: string;
  /** Resolves with the token's claims, or rejects with an `AuthError`. */
  verify(authorization: string | undefined): Promise<JWTPayload>;
}

/** Signature algorithms accepted: asymmetric only (a shared-secret HS* token cannot come from a JWKS). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Verified tokens kept, so that a worker's many calls with one token cost one signature check. */
const CACHE_LIMIT = 1024;
const CACHE_TTL_MS = 5 * 60_000;
/** After a failed key fetch, requests within this time get the same failure instead of a new fetch. */
const FAILURE_MEMO_MS = 1000;

function checkUrl(what: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AuthConfigError(`${what} must be an http(s) URL, not '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AuthConfigError(`${what} must be an http(s) URL, not '${value}'`);
  }
  return url;
}

/**
 * A verifier for tokens of one issuer. Makes no request until the first token arrives.
 *
 * @example
 * const verifier = createTokenVerifier({ issuer: 'http://127.0.0.1:18080/realms/camunda', audience: 'zeebe-api' });
 * const claims = await verifier.verify(request.headers.authorization); // throws AuthError when refused
 */
export function createTokenVerifier(settings: VerifierSettings): TokenVerifier {
  const issuer = settings.issuer?.trim();
  if (!issuer) throw new AuthConfigError('auth.issuer is required (the OIDC issuer URL whose tokens are accepted)');
  checkUrl('auth.issuer', issuer);
  if (settings.jwksUri !== undefined) checkUrl('auth.jwksUri', settings.jwksUri);
  const audiences = settings.audience === undefined ? [] : typeof settings.audience === 'string' ? [settings.audience] : [...settings.audience];
  if (audiences.some((a) => typeof a !== 'string' || a.trim() === '')) {
    throw new AuthConfigError(`auth.audience must be non-empty strings; got ${JSON.stringify(settings.audience)}`);
  }
  const now = settings.now ?? wallNow;
  const skew = settings.clockSkewSeconds ?? 60;
  const keys = new IssuerKeys(issuer, settings.jwksUri, now, {
    cooldownMs: settings.keysCooldownMs ?? 30_000,
    maxAgeMs: settings.keysMaxAgeMs ?? 10 * 60_000,
    fetchTimeoutMs: settings.fetchTimeoutMs ?? 5000,
  });
  const verified = new Map<string, { payload: JWTPayload; until: number }>();

  const verifyToken = async (token: string): Promise<JWTPayload> => {
    const at = now();
    const hit = verified.get(token);
    if (hit && at <= hit.until) return hit.payload;
    if (hit) verified.delete(token);

    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new AuthError('MALFORMED', 'The bearer token is not a valid JWT (expected three base64url parts with a JSON header and claims)');
    }
    // The issuer first: a token of another issuer would otherwise only show up as an unknown key.
    if (unverified.iss !== issuer) {
      throw new AuthError(
        'WRONG_ISSUER',
        unverified.iss === undefined
          ? `The token has no issuer ('iss'); this engine accepts tokens issued by '${issuer}' only`
          : `The token was issued by '${unverified.iss}', but this engine accepts tokens issued by '${issuer}' only`,
      );
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => keys.keyFor(header), {
        issuer,
        ...(audiences.length > 0 ? { audience: audiences } : {}),
        algorithms: ALGORITHMS,
        clockTolerance: skew,
        currentDate: new Date(at),
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw explain(error, { issuer, audiences, unverified, at, skew });
    }
    if (verified.size >= CACHE_LIMIT) verified.delete(verified.keys().next().value as string);
    verified.set(token, { payload, until: Math.min(at + CACHE_TTL_MS, (payload.exp as number) * 1000 + skew * 1000) });
    return payload;
  };

  return {
    issuer,
    async verify(authorization) {
      if (authorization === undefined || authorization.trim() === '') {
        // Zeebe's gateway's own words, so that clients matching on them behave alike.
        throw new AuthError('NO_TOKEN', 'Expected bearer token at header with key [authorization], but found nothing');
      }
      const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) {
        throw new AuthError('NOT_BEARER', "Expected the 'authorization' header to be 'Bearer <token>'");
      }
      return verifyToken(match[1]!);
    },
  };
}

function iso(epochSeconds: unknown): string {
  return typeof epochSeconds === 'number' && Number.isFinite(epochSeconds) ? new Date(epochSeconds * 1000).toISOString() : String(epochSeconds);
}

/** Turns jose's error into the sentence the client gets. */
function explain(
  error: unknown,
  context: { issuer: string; audiences: string[]; unverified: JWTPayload; at: number; skew: number },
): AuthError {
  if (error instanceof AuthError) return error;
  const { issuer, audiences, unverified } = context;
  if (error instanceof errors.JWTExpired) {
    return new AuthError('EXPIRED', `The token expired at ${iso(unverified.exp)} (${Math.round(context.at / 1000 - Number(unverified.exp))} s ago)`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return new AuthError('NOT_YET_VALID', `The token is not valid before ${iso(unverified.nbf)}`);
      case 'aud':
        return new AuthError(
          'WRONG_AUDIENCE',
          `The token's audience ${JSON.stringify(unverified.aud ?? null)} does not include ${audiences.length === 1 ? `'${audiences[0]}'` : `one of ${JSON.stringify(audiences)}`}, which this engine requires`,
        );
      case 'iss':
        return new AuthError('WRONG_ISSUER', `The token was issued by '${String(unverified.iss)}', but this engine accepts tokens issued by '${issuer}' only`);
      case 'exp':
        return new AuthError('MALFORMED', `The token has no valid expiry ('exp'); tokens without one are refused`);
      default:
        return new AuthError('MALFORMED', `The token's '${error.claim}' claim is invalid: ${error.message}`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError('BAD_SIGNATURE', `The token's signature does not verify with the keys of issuer '${issuer}'`);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError('UNKNOWN_KEY', `The token was signed with a key that issuer '${issuer}' does not publish`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError('ALGORITHM_NOT_ALLOWED', `The token is signed with an algorithm this engine does not accept (allowed: ${ALGORITHMS.join(', ')})`);
  }
  if (error instanceof KeysUnavailable) return new AuthError('KEYS_UNAVAILABLE', error.message);
  if (error instanceof errors.JOSEError) return new AuthError('MALFORMED', `The bearer token is invalid: ${error.message}`);
  return new AuthError('KEYS_UNAVAILABLE', `The token could not be checked: ${(error as Error)?.message ?? String(error)}`);
}

class KeysUnavailable extends Error {}

type KeySet = ReturnType<typeof createLocalJWKSet>;

/** The issuer's signing keys: discovered, cached, fetched again on an unknown key id (rate limited) or when old. */
class IssuerKeys {
  #set: { keys: KeySet; fetchedAt: number } | undefined;
  #loading: Promise<KeySet> | undefined;
  #failure: { error: Error; at: number } | undefined;
  #jwksUri: string | undefined;

  constructor(
    private readonly issuer: string,
    jwksUri: string | undefined,
    private readonly now: () => number,
    private readonly limits: { cooldownMs: number; maxAgeMs: number; fetchTimeoutMs: number },
  ) {
    this.#jwksUri = jwksUri;
  }

  async keyFor(header: JWSHeaderParameters): Promise<CryptoKey> {
    const at = this.now();
    const current = this.#set;
    const keys = current && at - current.fetchedAt < this.limits.maxAgeMs ? current.keys : await this.#load();
    try {
      return await keys(header);
    } catch (error) {
      // A key id we do not know yet: the issuer may have rotated its keys. Look again, but not too often.
      if (error instanceof errors.JWKSNoMatchingKey && this.#set && at - this.#set.fetchedAt >= this.limits.cooldownMs) {
        return (await this.#load())(header);
      }
      throw error;
    }
  }

  #load(): Promise<KeySet> {
    if (this.#loading) return this.#loading;
    const failure = this.#failure;
    if (failure && this.now() - failure.at < FAILURE_MEMO_MS) return Promise.reject(failure.error);
    this.#loading = this.#fetchKeys().then(
      (keys) => {
        this.#set = { keys, fetchedAt: this.now() };
        this.#failure = undefined;
        this.#loading = undefined;
        return keys;
      },
      (error: Error) => {
        this.#failure = { error, at: this.now() };
        this.#loading = undefined;
        throw error;
      },
    );
    return this.#loading;
  }

  async #fetchKeys(): Promise<KeySet> {
    if (this.#jwksUri === undefined) {
      const discovery = `${this.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const document = (await this.#getJson(discovery, 'discovery document')) as { issuer?: unknown; jwks_uri?: unknown };
      if (document.issuer !== this.issuer) {
        throw new KeysUnavailable(
          `The discovery document at ${discovery} names issuer ${JSON.stringify(document.issuer ?? null)}, not the configured '${this.issuer}'`,
        );
      }
      if (typeof document.jwks_uri !== 'string') {
        throw new KeysUnavailable(`The discovery document at ${discovery} has no 'jwks_uri'`);
      }
      this.#jwksUri = document.jwks_uri;
    }
    const jwks = (await this.#getJson(this.#jwksUri, 'key set')) as Partial<JSONWebKeySet>;
    if (!Array.isArray(jwks.keys)) throw new KeysUnavailable(`The key set at ${this.#jwksUri} has no 'keys' array`);
    try {
      return createLocalJWKSet(jwks as JSONWebKeySet);
    } catch (error) {
      throw new KeysUnavailable(`The key set at ${this.#jwksUri} is invalid: ${(error as Error).message}`);
    }
  }

  async #getJson(url: string, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.limits.fetchTimeoutMs) });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new KeysUnavailable(`The token could not be checked: the issuer's ${what} at ${url} could not be fetched (${cause})`);
    }
    if (!response.ok) {
      throw new KeysUnavailable(`The token could not be checked: the issuer's ${what} at ${url} answered HTTP ${response.status}`);
    }
    try {
      return await response.json();
    } catch {
      throw new KeysUnavailable(`The token could not be checked: the issuer's ${what} at ${url} is not JSON`);
    }
  }
}

function unauthenticated(error: unknown): Partial<grpc.ServiceError> {
  const details = error instanceof AuthError ? error.message : `The token could not be checked: ${(error as Error)?.message ?? String(error)}`;
  return { code: grpc.status.UNAUTHENTICATED, details, message: details };
}

function authorizationOf(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return value === undefined ? undefined : String(value);
}

/**
 * The gRPC handlers of `service` with a bearer-token check in front of each: a call runs only after its
 * token verified; otherwise it ends with 16 UNAUTHENTICATED (unary calls through the callback, streaming
 * calls with an error status), without reaching the engine.
 */
export function requireBearerToken(
  service: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
  verifier: TokenVerifier,
): grpc.UntypedServiceImplementation {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const definition = service[name];
    if (!definition) throw new Error(`no method '${name}' in the gateway service to put authentication in front of`);
    /* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handlers are untyped here */
    const run = handler as (...args: any[]) => void;
    if (definition.responseStream) {
      wrapped[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        verifier.verify(authorizationOf(call.metadata)).then(
          () => {
            if (!call.cancelled) run(call);
          },
          (error) => call.emit('error', unauthenticated(error)),
        );
      };
    } else {
      wrapped[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        verifier.verify(authorizationOf(call.metadata)).then(
          () => run(call, callback),
          (error) => callback(unauthenticated(error) as grpc.ServiceError),
        );
      };
    }
    /* eslint-enable @typescript-eslint/no-explicit-any */
  }
  return wrapped;
}

/**
 * Puts the bearer-token check in front of an HTTP server's request handling: a request without a valid token
 * gets 401 with `WWW-Authenticate: Bearer` and a problem document (RFC 9457), as Camunda's REST API answers.
 */
export function requireBearerTokenOnRest(server: HttpServer, verifier: TokenVerifier): void {
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    verifier.verify(req.headers.authorization).then(
      () => {
        for (const listener of listeners) listener.call(server, req, res);
      },
      (error) => {
        const auth = error instanceof AuthError ? error : new AuthError('KEYS_UNAVAILABLE', String((error as Error)?.message ?? error));
        const challenge =
          auth.code === 'NO_TOKEN' || auth.code === 'NOT_BEARER'
            ? 'Bearer'
            : `Bearer error="invalid_token", error_description="${auth.message.replace(/["\\]/g, "'")}"`;
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        res
          .writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': challenge })
          .end(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: auth.message, instance: path }));
        // The body of a refused request is not read; let it drain so the connection can be reused.
        req.resume();
      },
    );
  });
}
