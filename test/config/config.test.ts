/** Unit tests of src/config: the SDK's environment variables and flags → one frozen, validated object. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveHostConfig } from '../../src/config/host.ts';
import { ConfigError, grpcUrl, parseBoolean, resolveConfig, resolveStateDir } from '../../src/config/index.ts';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('resolveConfig: address', () => {
  it('has no address when nothing is set', () => {
    const config = resolveConfig({});
    assert.equal(config.address, undefined);
    assert.deepEqual(config.auth, { strategy: 'NONE' });
  });

  it('reads ZEEBE_GRPC_ADDRESS with grpc:// as plaintext', () => {
    assert.deepEqual(resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpc://127.0.0.1:26500' }).address, { host: '127.0.0.1', port: 26500, secure: false });
  });

  it('reads ZEEBE_GRPC_ADDRESS with grpcs:// as TLS', () => {
    assert.deepEqual(resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpcs://abc.bru-2.zeebe.camunda.io:443' }).address, {
      host: 'abc.bru-2.zeebe.camunda.io',
      port: 443,
      secure: true,
    });
  });

  it('lets a scheme in ZEEBE_GRPC_ADDRESS win over ZEEBE_ADDRESS and the legacy TLS flags', () => {
    const config = resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpc://a:1', ZEEBE_ADDRESS: 'b:2', CAMUNDA_SECURE_CONNECTION: 'true' });
    assert.deepEqual(config.address, { host: 'a', port: 1, secure: false });
  });

  it('reads ZEEBE_ADDRESS as host:port with the SDK legacy TLS rule (TLS unless turned off)', () => {
    assert.equal(resolveConfig({ ZEEBE_ADDRESS: 'localhost:26500' }).address?.secure, true);
    assert.equal(resolveConfig({ ZEEBE_ADDRESS: 'localhost:26500', CAMUNDA_SECURE_CONNECTION: 'false' }).address?.secure, false);
    assert.equal(resolveConfig({ ZEEBE_ADDRESS: 'localhost:26500', ZEEBE_INSECURE_CONNECTION: 'true' }).address?.secure, false);
    assert.deepEqual(resolveConfig({ ZEEBE_ADDRESS: '[::1]:26500', ZEEBE_INSECURE_CONNECTION: 'true' }).address, { host: '::1', port: 26500, secure: false });
  });

  it('accepts ZEEBE_GRPC_ADDRESS without a scheme, like the SDK', () => {
    assert.deepEqual(resolveConfig({ ZEEBE_GRPC_ADDRESS: 'h:7', CAMUNDA_SECURE_CONNECTION: 'false' }).address, { host: 'h', port: 7, secure: false });
  });

  it('lets --address win over the environment; without a scheme it means plaintext', () => {
    const config = resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpcs://far:443' }, { address: '127.0.0.1:9' });
    assert.deepEqual(config.address, { host: '127.0.0.1', port: 9, secure: false });
    assert.equal(config.sdkConfig.ZEEBE_GRPC_ADDRESS, 'grpc://127.0.0.1:9');
  });

  it('treats empty variables as unset', () => {
    assert.equal(resolveConfig({ ZEEBE_ADDRESS: '', ZEEBE_GRPC_ADDRESS: '  ' }).address, undefined);
  });

  it('rejects a port that is not a number, naming the variable and the value', () => {
    const error = configError(() => resolveConfig({ ZEEBE_ADDRESS: 'foo:notaport' }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.variable, 'ZEEBE_ADDRESS');
    assert.equal(error.value, 'foo:notaport');
    assert.match(error.message, /ZEEBE_ADDRESS/);
    assert.match(error.message, /foo:notaport/);
  });

  for (const [variable, value] of [
    ['ZEEBE_ADDRESS', 'localhost'],
    ['ZEEBE_ADDRESS', 'localhost:0'],
    ['ZEEBE_ADDRESS', 'localhost:65536'],
    ['ZEEBE_ADDRESS', 'grpc://localhost:26500'],
    ['ZEEBE_GRPC_ADDRESS', 'http://localhost:26500'],
    ['ZEEBE_GRPC_ADDRESS', 'grpc://localhost'],
    ['ZEEBE_GRPC_ADDRESS', 'grpc://localhost:-1'],
    ['ZEEBE_REST_ADDRESS', 'localhost:8080'],
    ['CAMUNDA_SECURE_CONNECTION', 'maybe'],
    ['CAMUNDA_AUTH_STRATEGY', 'KERBEROS'],
    ['ZEEBE_CLIENT_LOG_LEVEL', 'LOUD'],
    ['FORAGER_LOG_LEVEL', 'chatty'],
  ] as const) {
    it(`rejects ${variable}=${value}`, () => {
      const env: Record<string, string> = { ZEEBE_ADDRESS: 'localhost:26500', [variable]: value };
      const error = configError(() => resolveConfig(env));
      assert.equal(error.variable, variable);
      assert.equal(error.value, value);
      assert.ok(error.message.includes(value), error.message);
    });
  }

  it('names the flag for a bad --address', () => {
    const error = configError(() => resolveConfig({}, { address: 'nope' }));
    assert.equal(error.variable, '--address');
  });

  it('formats addresses back as URLs', () => {
    assert.equal(grpcUrl({ host: 'h', port: 1, secure: true }), 'grpcs://h:1');
    assert.equal(grpcUrl({ host: '::1', port: 2, secure: false }), 'grpc://[::1]:2');
  });
});

describe('resolveConfig: auth', () => {
  const oauthEnv = {
    ZEEBE_GRPC_ADDRESS: 'grpcs://c.zeebe.camunda.io:443',
    ZEEBE_CLIENT_ID: 'id',
    ZEEBE_CLIENT_SECRET: 'secret',
    CAMUNDA_OAUTH_URL: 'https://login.cloud.camunda.io/oauth/token',
  };

  it('selects OAuth implicitly from a URL and client credentials, as the SDK does', () => {
    const config = resolveConfig({ ...oauthEnv, ZEEBE_TOKEN_AUDIENCE: 'zeebe.camunda.io' });
    assert.deepEqual(config.auth, {
      strategy: 'OAUTH',
      clientId: 'id',
      clientSecret: 'secret',
      oauthUrl: 'https://login.cloud.camunda.io/oauth/token',
      audience: 'zeebe.camunda.io',
      scope: undefined,
      tokenCacheDir: undefined,
      diskCache: true,
    });
    assert.equal(config.sdkConfig.CAMUNDA_AUTH_STRATEGY, 'OAUTH');
    assert.equal(config.sdkConfig.ZEEBE_CLIENT_SECRET, 'secret');
  });

  it('prefers CAMUNDA_ZEEBE_OAUTH_AUDIENCE over ZEEBE_TOKEN_AUDIENCE', () => {
    const config = resolveConfig({ ...oauthEnv, ZEEBE_TOKEN_AUDIENCE: 'a', CAMUNDA_ZEEBE_OAUTH_AUDIENCE: 'b' });
    assert.equal(config.auth.strategy === 'OAUTH' && config.auth.audience, 'b');
  });

  it('keeps NONE when the strategy is set explicitly, or OAuth is disabled', () => {
    assert.equal(resolveConfig({ ...oauthEnv, CAMUNDA_AUTH_STRATEGY: 'NONE' }).auth.strategy, 'NONE');
    assert.equal(resolveConfig({ ...oauthEnv, CAMUNDA_OAUTH_DISABLED: 'true' }).auth.strategy, 'NONE');
  });

  it('requires what an explicit strategy needs, naming the missing variable', () => {
    const error = configError(() => resolveConfig({ CAMUNDA_AUTH_STRATEGY: 'OAUTH', ZEEBE_CLIENT_ID: 'id', CAMUNDA_OAUTH_URL: 'https://x/token' }));
    assert.equal(error.variable, 'ZEEBE_CLIENT_SECRET');
    assert.equal(error.value, undefined);
    assert.equal(configError(() => resolveConfig({ CAMUNDA_AUTH_STRATEGY: 'BEARER' })).variable, 'CAMUNDA_OAUTH_TOKEN');
    assert.equal(configError(() => resolveConfig({ CAMUNDA_AUTH_STRATEGY: 'basic', CAMUNDA_BASIC_AUTH_USERNAME: 'u' })).variable, 'CAMUNDA_BASIC_AUTH_PASSWORD');
  });

  it('rejects an OAuth URL that is not http(s)', () => {
    const error = configError(() => resolveConfig({ ...oauthEnv, CAMUNDA_OAUTH_URL: 'login.example.com' }));
    assert.equal(error.variable, 'CAMUNDA_OAUTH_URL');
  });
});

describe('resolveConfig: the object handed to the SDK', () => {
  it('always gives the SDK a URL with a scheme, clears ZEEBE_ADDRESS and silences its logs', () => {
    const config = resolveConfig({ ZEEBE_ADDRESS: 'h:1', ZEEBE_INSECURE_CONNECTION: 'true' });
    assert.equal(config.sdkConfig.ZEEBE_GRPC_ADDRESS, 'grpc://h:1');
    assert.equal(config.sdkConfig.ZEEBE_ADDRESS, '');
    assert.equal(config.sdkConfig.CAMUNDA_LOG_LEVEL, 'none');
    assert.equal(config.sdkConfig.zeebeGrpcSettings.ZEEBE_CLIENT_LOG_LEVEL, 'NONE');
  });

  it('passes tenant, REST address and custom certificates through', () => {
    const config = resolveConfig({
      ZEEBE_GRPC_ADDRESS: 'grpcs://h:1',
      CAMUNDA_TENANT_ID: 'acme',
      ZEEBE_REST_ADDRESS: 'http://h:8080',
      CAMUNDA_CUSTOM_ROOT_CERT_PATH: '/certs/ca.pem',
      CAMUNDA_CLUSTER_ID: 'c-1',
    });
    assert.equal(config.tenantId, 'acme');
    assert.equal(config.clusterId, 'c-1');
    assert.equal(config.restAddress, 'http://h:8080');
    assert.equal(config.sdkConfig.CAMUNDA_TENANT_ID, 'acme');
    assert.equal(config.sdkConfig.ZEEBE_REST_ADDRESS, 'http://h:8080');
    assert.equal(config.sdkConfig.CAMUNDA_CUSTOM_ROOT_CERT_PATH, '/certs/ca.pem');
    assert.equal(resolveConfig({}, { tenantId: 'flag' }).tenantId, 'flag');
  });

  it('honours an explicit ZEEBE_CLIENT_LOG_LEVEL', () => {
    const config = resolveConfig({ ZEEBE_CLIENT_LOG_LEVEL: 'debug' });
    assert.equal(config.sdkLogLevel, 'DEBUG');
    assert.equal(config.sdkConfig.CAMUNDA_LOG_LEVEL, 'debug');
  });

  it('is frozen all the way down', () => {
    const config = resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpc://h:1' });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.address));
    assert.ok(Object.isFrozen(config.sdkConfig));
    assert.ok(Object.isFrozen(config.sdkConfig.zeebeGrpcSettings));
    assert.throws(() => {
      (config as { address: unknown }).address = undefined;
    }, TypeError);
  });

  it('does not read process.env', () => {
    const before = process.env.ZEEBE_GRPC_ADDRESS;
    process.env.ZEEBE_GRPC_ADDRESS = 'grpc://from-process-env:1';
    try {
      assert.equal(resolveConfig({}).address, undefined);
    } finally {
      if (before === undefined) delete process.env.ZEEBE_GRPC_ADDRESS;
      else process.env.ZEEBE_GRPC_ADDRESS = before;
    }
  });
});

describe('resolveStateDir', () => {
  it('uses FORAGER_HOME, else ~/.forager', () => {
    assert.equal(resolveStateDir({ FORAGER_HOME: '/tmp/fh' }), '/tmp/fh');
    assert.equal(resolveStateDir({ HOME: '/home/u' }), join('/home/u', '.forager'));
    assert.equal(resolveConfig({ FORAGER_HOME: '/tmp/fh2' }).stateDir, '/tmp/fh2');
  });
});

describe('one grammar for durations and booleans in the configuration', () => {
  it('FORAGER_* durations take the one grammar: ISO 8601, units, combined units, bare milliseconds', () => {
    const host = resolveHostConfig({
      FORAGER_SHUTDOWN_GRACE: 'PT30S',
      FORAGER_POLL_REQUEST_TIMEOUT: '1m30s',
      FORAGER_BROKER_CHECK_INTERVAL: '2500',
      FORAGER_WORKER_GREET_TIMEOUT: 'P1D',
    });
    assert.equal(host.shutdownGraceMs, 30_000);
    assert.equal(host.pollRequestTimeoutMs, 90_000);
    assert.equal(host.brokerCheckIntervalMs, 2_500);
    assert.equal(host.overrides.GREET?.timeoutMs, 86_400_000);
    assert.equal(resolveHostConfig({}, { grace: '1d' }).shutdownGraceMs, 86_400_000);
    // values the host took before keep their meaning
    assert.equal(resolveHostConfig({ FORAGER_SHUTDOWN_GRACE: '30000' }).shutdownGraceMs, 30_000);
    assert.equal(resolveHostConfig({ FORAGER_SHUTDOWN_GRACE: ' 30 s ' }).shutdownGraceMs, 30_000);
  });

  it('a bad duration is a ConfigError naming the variable or flag, the value and what is expected', () => {
    for (const [env, flags, variable, value, why] of [
      [{ FORAGER_SHUTDOWN_GRACE: '10x' }, {}, 'FORAGER_SHUTDOWN_GRACE', '10x', /unknown unit "x"/],
      [{ FORAGER_POLL_REQUEST_TIMEOUT: '-5s' }, {}, 'FORAGER_POLL_REQUEST_TIMEOUT', '-5s', /negative/],
      [{ FORAGER_BROKER_CHECK_INTERVAL: 'P1M' }, {}, 'FORAGER_BROKER_CHECK_INTERVAL', 'P1M', /months/],
      [{ FORAGER_WORKER_GREET_TIMEOUT: '0.5ms' }, {}, 'FORAGER_WORKER_GREET_TIMEOUT', '0.5ms', /whole number of milliseconds/],
      [{}, { grace: '99999d' }, '--grace', '99999d', /more than 100 years/],
    ] as const) {
      const error = configError(() => resolveHostConfig(env, flags));
      assert.equal(error.variable, variable);
      assert.equal(error.value, value);
      assert.match(error.message, new RegExp(`^${variable}: expected a duration such as .*, got "${value}" \\(`));
      assert.match(error.message, why);
    }
  });

  it('booleans: one rule for FORAGER_* and CAMUNDA_* variables', () => {
    for (const [text, value] of [['true', true], ['TRUE', true], [' 1 ', true], ['yes', true], ['false', false], ['0', false], ['No', false]] as const) {
      assert.deepEqual(parseBoolean(text), { ok: true, value });
      assert.equal(resolveHostConfig({ FORAGER_HTTP_ENABLED: text }).http.enabled, value);
      assert.equal(resolveHostConfig({ FORAGER_WORKER_GREET_ENABLED: text }).overrides.GREET?.enabled, value);
      assert.equal(resolveConfig({ ZEEBE_ADDRESS: 'localhost:26500', CAMUNDA_SECURE_CONNECTION: text }).address?.secure, value);
    }
    for (const [variable, resolve] of [
      ['FORAGER_HTTP_ENABLED', (v: string) => resolveHostConfig({ FORAGER_HTTP_ENABLED: v })],
      ['FORAGER_WORKER_GREET_ENABLED', (v: string) => resolveHostConfig({ FORAGER_WORKER_GREET_ENABLED: v })],
      ['ZEEBE_INSECURE_CONNECTION', (v: string) => resolveConfig({ ZEEBE_ADDRESS: 'localhost:26500', ZEEBE_INSECURE_CONNECTION: v })],
      ['CAMUNDA_OAUTH_DISABLED', (v: string) => resolveConfig({ CAMUNDA_OAUTH_DISABLED: v })],
    ] as const) {
      const error = configError(() => resolve('nope'));
      assert.equal(error.variable, variable);
      assert.equal(error.message, `${variable}: expected true or false (or 1/0, yes/no) (got "nope")`);
    }
  });
});
