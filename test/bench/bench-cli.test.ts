// The bench commands' options (bench/bench-cli.ts): the checks on their own, and the real commands run as an
// operator would: --help lists every option with its default and starts nothing, bad input names the option and
// exits 2 before any server or fleet is started.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import {
  BenchUsageError,
  listOf,
  oneOf,
  parseBenchArgs,
  positiveNumber,
  wholeNumber,
  wholeNumbers,
} from '../../bench/bench-cli.js';

const run = promisify(execFile);
const script = (name: string) => fileURLToPath(new URL(`../../bench/${name}.js`, import.meta.url));

async function bench(name: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [script(name), ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('bench command options', () => {
  it('checks: whole numbers, positive numbers, choices and lists of them', () => {
    assert.equal(wholeNumber(1)('12'), undefined);
    for (const bad of ['0', '-3', '1.5', 'x', '']) assert.ok(wholeNumber(1)(bad), bad);
    assert.equal(positiveNumber('0.5'), undefined);
    for (const bad of ['0', '-1', 'NaN', 'Infinity', '']) assert.ok(positiveNumber(bad), bad);
    assert.equal(oneOf(['a', 'b'])('b'), undefined);
    assert.match(oneOf(['a', 'b'])('c') ?? '', /one of a, b/);
    assert.equal(listOf(['a', 'b', 'c'])('c,a'), undefined);
    assert.match(listOf(['a', 'b'])('a,x,y') ?? '', /unknown x, y/);
    assert.ok(listOf(['a'])('a,'), 'an empty name');
    assert.equal(wholeNumbers(1)('10,20'), undefined);
    assert.ok(wholeNumbers(1)('10,x'));
  });

  it('parses, gives the defaults, and gathers every problem at once', () => {
    const options = {
      count: { type: 'string', default: '3', describe: 'How many', check: wholeNumber(1) },
      mode: { type: 'string', describe: 'Which', check: oneOf(['fast', 'slow']) },
      quiet: { type: 'boolean', default: false, describe: 'Less output' },
    } as const;
    const parsed = parseBenchArgs('try', 'A try.', options, ['--mode', 'slow']);
    assert.deepEqual({ ...parsed.values }, { count: '3', mode: 'slow', quiet: false });
    assert.equal(parsed.help, false);
    assert.throws(
      () => parseBenchArgs('try', 'A try.', options, ['--count', '0', '--mode', 'medium']),
      (error: unknown) =>
        error instanceof BenchUsageError &&
        /--count: .*"0"/.test(error.message) &&
        /--mode: .*"medium"/.test(error.message),
    );
    assert.throws(() => parseBenchArgs('try', 'A try.', options, ['--nope']), BenchUsageError);
    assert.throws(() => parseBenchArgs('try', 'A try.', options, ['stray']), BenchUsageError);
    const help = parseBenchArgs('try', 'A try.', options, ['-h']);
    assert.equal(help.help, true);
    assert.match(help.usage, /--count VALUE +How many \[default: 3\]/);
    assert.match(help.usage, /--quiet +Less output\n/);
  });

  for (const name of ['run', 'storm', 'capacity', 'upstream-transport'])
    it(`${name}: --help lists its options and exits 0, starting nothing`, async () => {
      const { code, stdout } = await bench(name, ['--help']);
      assert.equal(code, 0);
      assert.match(stdout, /^Usage: /);
      assert.match(stdout, /--help, -h/);
    });

  it('bad input: the option named, exit 2, before anything starts', async () => {
    const runBad = await bench('run', ['--targets', 'ocpp-edg,nginx', '--reps', 'x']);
    assert.equal(runBad.code, 2);
    assert.match(runBad.stderr, /--targets: unknown ocpp-edg; .*ocpp-edge/);
    assert.match(runBad.stderr, /--reps: must be a whole number/);
    assert.doesNotMatch(runBad.stderr, /runtime:|nginx:/, 'nothing was started');
    const storm = await bench('storm', ['--databases', 'sqlite,mysql']);
    assert.equal(storm.code, 2);
    assert.match(storm.stderr, /--databases: unknown mysql/);
    const capacity = await bench('capacity', ['--steps', '1000,lots']);
    assert.equal(capacity.code, 2);
    assert.match(capacity.stderr, /--steps: /);
    const transport = await bench('upstream-transport', ['--unknown']);
    assert.equal(transport.code, 2);
    assert.match(transport.stderr, /Unknown option '--unknown'/);
  });
});
