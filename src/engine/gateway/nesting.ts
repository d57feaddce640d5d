/**
 * How deep a variables document may nest: Zeebe refuses documents nested deeper than 1000 levels (its
 * `maxVariableNestingDepth`, the limit of the JSON writers behind its exporters) with INVALID_ARGUMENT, and so
 * does forager's engine, at the gateway, before anything is processed. Deeper values would also exhaust the
 * stack of the engine's own recursive code (encoding, snapshots, FEEL).
 */

/** Levels of objects and arrays a variables document may have: `{"a":{"b":1}}` has 2. */
export const MAX_VARIABLE_NESTING_DEPTH = 1000;

/**
 * The nesting depth of a parsed JSON value, counted without recursion, or `limit + 1` as soon as it is
 * deeper than `limit`.
 *
 * @example
 * nestingDepth({ a: [1, { b: 2 }] }, 1000); // 3
 */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return limit + 1;
    if (depth > deepest) deepest = depth;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** The sentence a refusal says. */
export function tooDeep(field: string): string {
  return `Property '${field}' is invalid: Expected document to be nested at most ${MAX_VARIABLE_NESTING_DEPTH} levels deep, but it is nested deeper`;
}
