/**
 * Errors of the REST API as Camunda's REST gateway answers them: RFC 9457 problem documents
 * (`application/problem+json`) with `type`, `title`, `status`, `detail` and `instance` (the request path).
 * Engine rejections map to status codes in one table, as Camunda's `RestErrorMapper` does.
 */
import type { ServerResponse } from 'node:http';
import type { Rejection, RejectionType } from '../../state/records.ts';

/** A request the REST API answers with a problem document. */
export class RestProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'RestProblem';
  }
}

/** Camunda's status per rejection type (NOT_FOUND 404, INVALID_STATE/ALREADY_EXISTS 409, INVALID_ARGUMENT 400). */
const STATUS: Record<RejectionType, number> = {
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  ALREADY_EXISTS: 409,
  INVALID_ARGUMENT: 400,
  PROCESSING_ERROR: 500,
};

export function rejectionProblem(intent: string, rejection: Rejection): RestProblem {
  return new RestProblem(
    STATUS[rejection.type],
    rejection.type,
    `Command '${intent}' rejected with code '${rejection.type}': ${rejection.reason}`,
  );
}

/** Request validation (Camunda's RequestValidator): violations joined, ending in a period, title INVALID_ARGUMENT. */
export function invalidArgument(...violations: string[]): RestProblem {
  let detail = violations.join('. ');
  if (!detail.endsWith('.')) detail += '.';
  return new RestProblem(400, 'INVALID_ARGUMENT', detail);
}

/** A body Jackson could not read into the request type: Spring's "Bad Request" with the property path. */
export function unparsable(path: string): RestProblem {
  return new RestProblem(400, 'Bad Request', `Request property [${path}] cannot be parsed`);
}

export function bodyMissing(): RestProblem {
  return new RestProblem(400, 'Bad Request', 'Required request body is missing');
}

export function notFound(detail: string): RestProblem {
  return new RestProblem(404, 'NOT_FOUND', detail);
}

/** Something Camunda serves that forager's engine does not: loud, never a silent difference. */
export function notSupported(detail: string): RestProblem {
  return new RestProblem(400, 'INVALID_ARGUMENT', `${detail} (not supported by forager's engine)`);
}

export function sendProblem(res: ServerResponse, instance: string, problem: RestProblem): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res
    .writeHead(problem.status, { 'content-type': 'application/problem+json' })
    .end(JSON.stringify({ type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, instance }));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204).end();
}
