import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ConfigError,
  loadConfig,
  originOf,
  redactConfig,
  renameConfigError,
  yargsOptions,
  type OptionSpecs,
} from '../../common/config.js';

const options = {
  'https-port': { type: 'number', integer: true, min: 0, max: 65535, describe: 'port', default: 443 },
  domain: { type: 'string', array: true, describe: 'domains' },
  database: { type: 'string', describe: 'db', default: 'sqlite:./x.db', env: ['DATABASE_URL'] },
  'api-token': { type: 'string', array: true, secret: true, describe: 'tokens' },
  'trust-proxy': { type: 'boolean', describe: 'trust', default: false },
  tls: { type: 'string', choices: ['files', 'acme'], describe: 'tls' },
} as const satisfies OptionSpecs;

const directory = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-config-'));
after(() => rmSync(directory, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const location = path.join(directory, name);
  writeFileSync(location, text);
  return location;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration precedence: flags > environment > file > defaults', () => {
  const yaml = file('stack.yaml', 'proxy:\n  https-port: 8443\n  domain: [a.example.com]\n  tls: acme\n');

  test('defaults apply when nothing else is given', () => {
    const config = loadConfig(options, { flags: {}, env: {}, section: 'proxy' });
    assert.equal(config.httpsPort, 443);
    assert.deepEqual(config.domain, []);
    assert.equal(config.trustProxy, false);
    assert.equal(config.tls, undefined);
  });

  test('the file overrides defaults', () => {
    const config = loadConfig(options, { flags: { config: yaml }, env: {}, section: 'proxy' });
    assert.equal(config.httpsPort, 8443);
    assert.deepEqual(config.domain, ['a.example.com']);
    assert.equal(config.configFile, yaml);
  });

  test('the environment overrides the file, lists are comma-separated', () => {
    const env = { OCPP_EDGE_PROXY_HTTPS_PORT: '9443', OCPP_EDGE_PROXY_DOMAIN: 'b.example.com, c.example.com' };
    const config = loadConfig(options, { flags: { config: yaml }, env, section: 'proxy' });
    assert.equal(config.httpsPort, 9443);
    assert.deepEqual(config.domain, ['b.example.com', 'c.example.com']);
  });

  test('flags override the environment', () => {
    const config = loadConfig(options, {
      flags: { config: yaml, 'https-port': 10443 },
      env: { OCPP_EDGE_PROXY_HTTPS_PORT: '9443' },
      section: 'proxy',
    });
    assert.equal(config.httpsPort, 10443);
  });

  test('OCPP_EDGE_CONFIG names the file when --config is absent', () => {
    const config = loadConfig(options, { flags: {}, env: { OCPP_EDGE_CONFIG: yaml }, section: 'proxy' });
    assert.equal(config.tls, 'acme');
  });

  test('extra environment names such as DATABASE_URL, and plural list names such as OCPP_EDGE_PROXY_API_TOKENS', () => {
    const config = loadConfig(options, {
      flags: {},
      env: { DATABASE_URL: 'postgres://u:p@h/db', OCPP_EDGE_PROXY_API_TOKENS: 'one,two' },
      section: 'proxy',
    });
    assert.equal(config.database, 'postgres://u:p@h/db');
    assert.deepEqual(config.apiToken, ['one', 'two']);
  });

  test('JSON files are read too, and other sections are ignored', () => {
    const json = file('stack.json', JSON.stringify({ backend: { port: 1 }, proxy: { 'trust-proxy': true } }));
    const config = loadConfig(options, { flags: { config: json }, env: {}, section: 'proxy' });
    assert.equal(config.trustProxy, true);
  });
});

describe('invalid configuration names the key', () => {
  test('an unknown key in the file', () => {
    const bad = file('unknown.yaml', 'proxy:\n  https_port: 1\n');
    const error = configError(() => loadConfig(options, { flags: { config: bad }, env: {}, section: 'proxy' }));
    assert.equal(error.key, 'proxy.https_port');
  });

  test('an unknown section in the file', () => {
    const bad = file('section.yaml', 'proxi:\n  https-port: 1\n');
    assert.equal(
      configError(() => loadConfig(options, { flags: { config: bad }, env: {}, section: 'proxy' })).key,
      'proxi',
    );
  });

  test('a port out of range, named by its flag, its variable or its file key', () => {
    assert.equal(
      configError(() => loadConfig(options, { flags: { 'https-port': 70000 }, env: {}, section: 'proxy' })).key,
      '--https-port',
    );
    assert.equal(
      configError(() =>
        loadConfig(options, { flags: {}, env: { OCPP_EDGE_PROXY_HTTPS_PORT: 'http' }, section: 'proxy' }),
      ).key,
      'OCPP_EDGE_PROXY_HTTPS_PORT',
    );
    const bad = file('port.yaml', 'proxy:\n  https-port: -1\n');
    assert.match(
      configError(() => loadConfig(options, { flags: { config: bad }, env: {}, section: 'proxy' })).key,
      /^proxy\.https-port in /,
    );
  });

  test('a value outside its choices', () => {
    const error = configError(() => loadConfig(options, { flags: { tls: 'letsencrypt' }, env: {}, section: 'proxy' }));
    assert.match(error.message, /--tls: must be one of files, acme/);
  });

  test('a missing or malformed file', () => {
    assert.equal(
      configError(() =>
        loadConfig(options, { flags: { config: path.join(directory, 'absent.yaml') }, env: {}, section: 'proxy' }),
      ).key,
      '--config',
    );
    const bad = file('broken.yaml', 'proxy: [\n');
    assert.match(
      configError(() => loadConfig(options, { flags: { config: bad }, env: {}, section: 'proxy' })).message,
      /not valid YAML/,
    );
  });

  test('a secret never appears in an error or in the logged configuration', () => {
    const error = configError(() =>
      loadConfig(
        { token: { type: 'number', secret: true, describe: 't' } },
        { flags: { token: 's3cret' }, env: {}, section: 'proxy' },
      ),
    );
    assert.doesNotMatch(error.message, /s3cret/);
    const config = loadConfig(options, {
      flags: { 'api-token': ['s3cret'], database: 'postgres://me:pw@db/x' },
      env: {},
      section: 'proxy',
    });
    const logged = JSON.stringify(redactConfig(options, config));
    assert.doesNotMatch(logged, /s3cret|:pw@/);
  });
});

describe('each process has its own environment prefix', () => {
  const stack = {
    host: { type: 'string', describe: 'bind address' },
    'log-level': { type: 'string', describe: 'level', default: 'info', shared: true },
    redis: { type: 'string', describe: 'redis', env: ['REDIS_URL'], shared: true },
  } as const satisfies OptionSpecs;

  test('OCPP_EDGE_PROXY_HOST configures the proxy and not the backend', () => {
    const env = { OCPP_EDGE_PROXY_HOST: '0.0.0.0', OCPP_EDGE_BACKEND_HOST: '127.0.0.1' };
    assert.equal(loadConfig(stack, { flags: {}, env, section: 'proxy' }).host, '0.0.0.0');
    assert.equal(loadConfig(stack, { flags: {}, env, section: 'backend' }).host, '127.0.0.1');
    assert.equal(
      loadConfig(stack, { flags: {}, env: { OCPP_EDGE_PROXY_HOST: '::' }, section: 'backend' }).host,
      undefined,
    );
  });

  test('a shared key also reads the plain name, below the prefixed one, above its other names', () => {
    const env = {
      OCPP_EDGE_LOG_LEVEL: 'debug',
      OCPP_EDGE_BACKEND_LOG_LEVEL: 'warn',
      OCPP_EDGE_REDIS: 'redis://a',
      REDIS_URL: 'redis://b',
    };
    assert.equal(loadConfig(stack, { flags: {}, env, section: 'backend' }).logLevel, 'warn');
    assert.equal(loadConfig(stack, { flags: {}, env, section: 'proxy' }).logLevel, 'debug');
    assert.equal(loadConfig(stack, { flags: {}, env, section: 'proxy' }).redis, 'redis://a');
  });

  test('a plain name for a key that is not shared is refused, naming the variable to set instead', () => {
    const error = configError(() =>
      loadConfig(stack, { flags: {}, env: { OCPP_EDGE_HOST: '0.0.0.0' }, section: 'backend' }),
    );
    assert.equal(error.key, 'OCPP_EDGE_HOST');
    assert.match(error.message, /set OCPP_EDGE_BACKEND_HOST instead/);
    const plural = configError(() =>
      loadConfig(options, { flags: {}, env: { OCPP_EDGE_API_TOKENS: 'x' }, section: 'backend' }),
    );
    assert.match(plural.message, /OCPP_EDGE_API_TOKENS: is not read: .*set OCPP_EDGE_BACKEND_API_TOKENS instead/);
  });

  test('derived from the declaration alone: a key added by anyone gets its prefixed variable and help text', () => {
    const added = {
      'new-flag': { type: 'number', describe: 'something new', default: 1 },
    } as const satisfies OptionSpecs;
    assert.equal(
      loadConfig(added, { flags: {}, env: { OCPP_EDGE_SIMULATE_NEW_FLAG: '7' }, section: 'simulate' }).newFlag,
      7,
    );
    assert.match(String(yargsOptions(added, 'simulate')['new-flag']?.describe), /\[env OCPP_EDGE_SIMULATE_NEW_FLAG\]/);
  });
});

describe('errors name the key as the user wrote it', () => {
  test('origins: flag, variable, file key, default', () => {
    const yaml = file('origins.yaml', 'proxy:\n  tls: acme\n');
    const config = loadConfig(options, {
      flags: { config: yaml, 'trust-proxy': true },
      env: { OCPP_EDGE_PROXY_DOMAIN: 'a.example' },
      section: 'proxy',
    });
    assert.deepEqual(originOf(config, 'trust-proxy'), { name: '--trust-proxy', source: 'flag' });
    assert.deepEqual(originOf(config, 'domain'), { name: 'OCPP_EDGE_PROXY_DOMAIN', source: 'env' });
    assert.deepEqual(originOf(config, 'tls'), { name: `proxy.tls in ${yaml}`, source: 'file' });
    assert.deepEqual(originOf(config, 'https-port'), { name: '--https-port', source: 'default' });
  });

  test('a check made after loading names the file key when the file set it', () => {
    const yaml = file('later.yaml', 'proxy:\n  tls: acme\n');
    const config = loadConfig(options, { flags: { config: yaml }, env: {}, section: 'proxy' });
    const renamed = renameConfigError(new ConfigError('--tls', 'needs a domain'), config);
    assert.equal(renamed.message, `proxy.tls in ${yaml}: needs a domain`);
    assert.equal(renameConfigError(new ConfigError('--https-port', 'x'), config).key, '--https-port');
  });

  test('an unknown file key suggests the nearest one', () => {
    const bad = file('typo.yaml', 'proxy:\n  https-prot: 1\n');
    const error = configError(() => loadConfig(options, { flags: { config: bad }, env: {}, section: 'proxy' }));
    assert.match(error.message, /unknown key in .* \(did you mean proxy\.https-port\?\)/);
  });
});
