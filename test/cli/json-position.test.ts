/** Unit tests of the CLI's JSON error locator (used for `forager start --variables`). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locateJsonError } from '../../cli/lib/json-position.ts';
import { parseVariables } from '../../cli/commands/start.ts';
import { CliError } from '../../cli/lib/errors.ts';

describe('locateJsonError', () => {
  for (const valid of ['{}', '[]', '{"a":1}', ' {"a":[1,2.5e-3,"x\\n\\u00e9",true,false,null]} ', '"s"', '-0', '0.5']) {
    it(`accepts ${valid}`, () => {
      JSON.parse(valid); // agrees with the platform
      assert.equal(locateJsonError(valid), undefined);
    });
  }

  const cases: [string, number, number, number, RegExp][] = [
    ['{"a":}', 5, 1, 6, /unexpected "}"/],
    ['{a:1}', 1, 1, 2, /property name/],
    ['{"a":1,}', 7, 1, 8, /property name/],
    ['{"a":1', 6, 1, 7, /end of input/],
    ['{\n  "a": 1\n  "b": 2\n}', 13, 3, 3, /expected "," or "}"/],
    ['{"a":"x', 7, 1, 8, /unterminated string/],
    ['[1 2]', 3, 1, 4, /expected "," or "]"/],
    ['{"a":01}', 6, 1, 7, /expected "," or "}"/],
    ['{"a":tru}', 8, 1, 9, /unexpected/],
    ['{} x', 3, 1, 4, /after the end/],
    ['', 0, 1, 1, /end of input/],
  ];
  for (const [text, position, line, column, reason] of cases) {
    it(`locates the error in ${JSON.stringify(text)}`, () => {
      assert.throws(() => JSON.parse(text));
      const where = locateJsonError(text);
      assert.ok(where);
      assert.deepEqual({ position: where.position, line: where.line, column: where.column }, { position, line, column });
      assert.match(where.reason, reason);
    });
  }
});

describe('parseVariables', () => {
  it('returns an object', () => {
    assert.deepEqual(parseVariables('{"name":"World"}'), { name: 'World' });
    assert.deepEqual(parseVariables(undefined), {});
  });

  it('says where malformed JSON goes wrong, with exit code 2', () => {
    assert.throws(
      () => parseVariables('{"name": "World",}'),
      (error: unknown) => error instanceof CliError && error.exitCode === 2 && /line 1, column 18 \(position 17\)/.test(error.message),
    );
  });

  it('requires an object', () => {
    assert.throws(() => parseVariables('[1]'), (error: unknown) => error instanceof CliError && /got an array/.test(error.message));
    assert.throws(() => parseVariables('null'), (error: unknown) => error instanceof CliError && /got null/.test(error.message));
  });
});
