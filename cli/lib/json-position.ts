/**
 * Where a JSON text goes wrong: position, line, column and a short reason. `JSON.parse`'s own messages on
 * Node 20 do not always carry a position, so a small strict scanner (RFC 8259) finds the first error.
 */
export interface JsonErrorLocation {
  /** 0-based offset in characters. */
  readonly position: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly reason: string;
}

class Stop {
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {}
}

/** Returns the first error in `text`, or undefined when it is valid JSON. */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  let i = 0;
  const describe = (at: number) => (at >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[at])}`);
  const stop = (reason?: string): never => {
    throw new Stop(i, reason ?? describe(i));
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const expect = (ch: string) => {
    if (text[i] !== ch) stop(`${describe(i)}, expected ${JSON.stringify(ch)}`);
    i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) stop();
      i++;
    }
  };
  const string = () => {
    expect('"');
    for (;;) {
      if (i >= text.length) stop('unterminated string');
      const ch = text[i] as string;
      if (ch === '"') {
        i++;
        return;
      }
      if (ch < ' ') stop(`control character in string (escape it)`);
      if (ch === '\\') {
        i++;
        const esc = text[i];
        if (esc === 'u') {
          i++;
          for (let k = 0; k < 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) stop('bad \\u escape in string');
            i++;
          }
          continue;
        }
        if (esc === undefined || !'"\\/bfnrt'.includes(esc)) stop('bad escape in string');
      }
      i++;
    }
  };
  const digits = () => {
    const start = i;
    while (/[0-9]/.test(text[i] ?? '')) i++;
    if (i === start) stop(`${describe(i)}, expected a digit`);
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') stop(`${describe(i)}, expected a property name in double quotes`);
        string();
        ws();
        expect(':');
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        stop(`${describe(i)}, expected "," or "}"`);
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        stop(`${describe(i)}, expected "," or "]"`);
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || /[0-9]/.test(ch ?? '')) return number();
    stop();
  };
  try {
    value();
    ws();
    if (i < text.length) stop(`${describe(i)} after the end of the value`);
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    const before = text.slice(0, error.position);
    const line = before.split('\n').length;
    const column = error.position - (before.lastIndexOf('\n') + 1) + 1;
    return { position: error.position, line, column, reason: error.reason };
  }
}
