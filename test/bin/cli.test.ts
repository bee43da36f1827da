// The command line as a person meets it: a mistyped flag or command names the nearest right one, --help of a
// command lists its own flags before the global ones, and `completion` gives the shell what to complete.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../support/cli.js';

describe('ocpp-edge command line', () => {
  test('an unknown flag suggests the nearest one of that command, exit 2', async () => {
    const proxy = await runCli(['proxy', '--http-prot', '80']);
    assert.equal(proxy.code, 2);
    assert.equal(
      proxy.stderr,
      'ocpp-edge: unknown option --http-prot: did you mean --http-port?\nRun with --help for the options.\n',
    );
    const nested = await runCli(['chargers', 'list', '--serch', 'CP', '--jsn']);
    assert.equal(nested.code, 2);
    assert.match(nested.stderr, /^ocpp-edge: unknown option --serch: did you mean --search\?$/m);
    assert.match(nested.stderr, /^ocpp-edge: unknown option --jsn: did you mean --json\?$/m);
    const far = await runCli(['validate', '--zzzzzz']);
    assert.match(far.stderr, /^ocpp-edge: unknown option --zzzzzz\n/);
  });

  test('an unknown command suggests the nearest command', async () => {
    const result = await runCli(['chargrs', 'list']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Did you mean chargers\?/);
  });

  test("--help of a command: its own flags first, the API's after, the global ones last", async () => {
    const reset = await runCli(['chargers', 'reset', '--help']);
    assert.equal(reset.code, 0);
    const headings = reset.stdout.split('\n').filter((line) => /^[A-Z][\w ]*:$/.test(line));
    assert.deepEqual(headings, ['Positionals:', 'Options:', 'API connection:', 'Global options:']);
    assert.match(reset.stdout, /Options:\n {2}--hard /);
    const proxy = await runCli(['proxy', '--help']);
    const proxyHeadings = proxy.stdout.split('\n').filter((line) => /^[A-Z][\w ]*:$/.test(line));
    assert.deepEqual(proxyHeadings.slice(0, 2), ['Options:', 'Global options:']);
    assert.ok(proxy.stdout.indexOf('--https-port') < proxy.stdout.indexOf('--help'));
  });

  test('completion: the script for bash/zsh, and the completions it asks for', async () => {
    const script = await runCli(['completion']);
    assert.equal(script.code, 0);
    assert.match(script.stdout, /###-begin-ocpp-edge-completions-###/);
    assert.match(script.stdout, /--get-yargs-completions/);
    const commands = await runCli(['--get-yargs-completions', 'ocpp-edge', 'char']);
    assert.ok(commands.stdout.split('\n').includes('chargers'), commands.stdout);
    const subcommands = await runCli(['--get-yargs-completions', 'ocpp-edge', 'chargers', 'r']);
    assert.ok(subcommands.stdout.split('\n').includes('reset'), subcommands.stdout);
    const flags = await runCli(['--get-yargs-completions', 'ocpp-edge', 'proxy', '--http-p']);
    assert.ok(flags.stdout.split('\n').includes('--http-port'), flags.stdout);
  });
});
