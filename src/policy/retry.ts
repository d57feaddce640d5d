/**
 * What a handler's failure means, in one screen: a thrown error is classified as a BPMN error, a
 * non-retryable failure (incident now) or a retryable one (retries − 1 with backoff), and described in one
 * readable, secret-free line for the job's `errorMessage` (what Operate shows as the incident message).
 * Also which broker status codes are worth retrying.
 *
 * Pure and self-contained: errors are recognised by `name` (as `src/errors.ts`'s guards do), so this module
 * imports nothing and also recognises errors made by another copy of forager.
 */

/** The outcome a thrown value asks for. */
export type HandlerErrorClass =
  | {
      readonly kind: 'bpmn-error';
      /** The BPMN error code (a `BpmnError`'s `errorCode`). */
      readonly code: string;
      readonly message: string;
      readonly variables: Record<string, unknown>;
    }
  | { readonly kind: 'non-retryable'; readonly message: string }
  | { readonly kind: 'retryable'; readonly message: string };

/** The most characters {@link failMessage} returns. */
export const MAX_FAIL_MESSAGE_LENGTH = 500;

/** How many causes (`error.cause`) {@link describeError} follows. */
const MAX_CAUSES = 2;
/** How many characters of a thrown non-Error value's JSON are kept before the whole line is cut. */
const MAX_VALUE_LENGTH = 200;
/** How many characters of a description are masked and kept: bounds the work on a huge message. */
const MAX_DESCRIPTION_LENGTH = 2_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !Array.isArray(value);
}

/**
 * Classifies what a handler threw.
 * - `bpmn-error`: an object named `BpmnError` with a string `errorCode` (forager's `BpmnError`) → throw the
 *   BPMN error; `message` is its message verbatim, `variables` its variables (or `{}`).
 * - `non-retryable`: an object named `NonRetryableError` → fail with retries 0.
 * - `retryable`: anything else, including strings, plain objects and `undefined` → fail with retries − 1.
 * For the last two, `message` is {@link describeError}'s one line.
 *
 * @example
 * ```ts
 * classifyHandlerError(new BpmnError('NO_STOCK', 'out of stock'));
 * // { kind: 'bpmn-error', code: 'NO_STOCK', message: 'out of stock', variables: {} }
 * classifyHandlerError('boom'); // { kind: 'retryable', message: 'thrown string: boom' }
 * ```
 */
export function classifyHandlerError(error: unknown): HandlerErrorClass {
  if (isObject(error) && error.name === 'BpmnError' && typeof error.errorCode === 'string') {
    return {
      kind: 'bpmn-error',
      code: error.errorCode,
      message: typeof error.message === 'string' ? error.message : '',
      variables: isPlainRecord(error.variables) ? error.variables : {},
    };
  }
  if (isObject(error) && error.name === 'NonRetryableError') {
    return { kind: 'non-retryable', message: describeError(error) };
  }
  return { kind: 'retryable', message: describeError(error) };
}

/** The class name to show for an Error: its `name`, or its constructor's when `name` is just `'Error'`. */
function errorClassName(error: Error): string {
  const name = typeof error.name === 'string' && error.name !== '' ? error.name : 'Error';
  if (name !== 'Error') return name;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' && ctor !== '' ? ctor : 'Error';
}

function shortJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v.toString()}n` : v));
  } catch {
    text = undefined; // a cycle: fall back below
  }
  if (text === undefined) text = Object.prototype.toString.call(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

function describeOne(error: unknown): string {
  if (error instanceof Error || (isObject(error) && typeof error.name === 'string' && typeof error.message === 'string')) {
    const e = error as Error;
    const name = error instanceof Error ? errorClassName(error) : e.name;
    return e.message === '' ? name : `${name}: ${e.message}`;
  }
  if (error === null) return 'thrown null';
  if (typeof error === 'string') return `thrown string: ${error.length > MAX_VALUE_LENGTH ? `${error.slice(0, MAX_VALUE_LENGTH - 1)}…` : error}`;
  if (typeof error === 'object') return `thrown object: ${shortJson(error)}`;
  if (error === undefined) return 'thrown undefined';
  if (typeof error === 'symbol' || typeof error === 'function') return `thrown ${typeof error}: ${String(error).slice(0, MAX_VALUE_LENGTH)}`;
  return `thrown ${typeof error}: ${String(error)}`;
}

/**
 * One readable line for a thrown value, without the job type: `<ErrorClass>: <message>` for an Error (plus
 * up to two `(cause: …)`), `thrown <typeof>: <value>` for anything else (`thrown null`, `thrown undefined`
 * for those two). Whitespace is collapsed, no stack is included and obvious secrets are masked (see
 * {@link maskSecrets}). At most 2,000 characters; {@link failMessage} cuts further.
 */
export function describeError(error: unknown): string {
  let text = describeOne(error);
  let cause: unknown = isObject(error) ? error.cause : undefined;
  for (let depth = 0; depth < MAX_CAUSES && cause !== undefined; depth++) {
    text += ` (cause: ${describeOne(cause)})`;
    cause = isObject(cause) ? cause.cause : undefined;
  }
  return maskSecrets(cut(text.replace(/\s+/g, ' ').trim(), MAX_DESCRIPTION_LENGTH));
}

const SECRET_KEY = String.raw`[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|authorization|credentials?)[\w.-]*`;
const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // user:password@ in a URL (postgres://app:hunter2@db:5432/app)
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, '$1***@'],
  // Authorization schemes
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]+=*/g, '$1 ***'],
  // key=value, key: value, "key": "value" for secret-looking keys
  [new RegExp(String.raw`(${SECRET_KEY}["']?\s*[:=]\s*["']?)(?!\*\*\*|(?:Bearer|Basic|Token) \*\*\*)[^\s"'&,;)}\]]+`, 'gi'), '$1***'],
  // JSON Web Tokens wherever they stand
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '***'],
];

/**
 * Masks obvious secrets in a message: passwords in URLs, `Bearer`/`Basic` credentials, values of
 * secret-looking keys (`password=…`, `"client_secret": "…"`, `token: …`, `apiKey=…`) and JSON Web Tokens.
 * A best effort for error messages, not a guarantee: don't put secrets into errors.
 *
 * @example
 * ```ts
 * maskSecrets('login failed: password=hunter2 user=bob'); // 'login failed: password=*** user=bob'
 * ```
 */
export function maskSecrets(text: string): string {
  let masked = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) masked = masked.replace(pattern, replacement);
  return masked;
}

/** Cuts `text` to at most `max` characters, ending in `…` when cut, never splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * The `errorMessage` for a failed job: ONE line `<jobType>: <ErrorClass>: <message>` (for non-Error values
 * `<jobType>: thrown <typeof>: <value>`), whitespace collapsed, no stack, secrets masked, at most
 * {@link MAX_FAIL_MESSAGE_LENGTH} characters. Operate shows it as the incident message.
 *
 * @example
 * ```ts
 * failMessage('charge-card', new TypeError('amount\n  is NaN')); // 'charge-card: TypeError: amount is NaN'
 * failMessage('charge-card', { status: 502 });                    // 'charge-card: thrown object: {"status":502}'
 * ```
 */
export function failMessage(jobType: string, error: unknown): string {
  return cut(`${jobType}: ${describeError(error)}`.replace(/\s+/g, ' ').trim(), MAX_FAIL_MESSAGE_LENGTH);
}

/**
 * The retries to send with a failed job: one fewer than it has, never below 0 (0 raises an incident).
 * A value that is not a finite number counts as 0.
 */
export function retriesAfterFailure(current: number): number {
  if (typeof current !== 'number' || !Number.isFinite(current)) return 0;
  return Math.max(0, Math.floor(current) - 1);
}
