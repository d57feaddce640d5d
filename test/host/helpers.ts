/**
 * Helpers for the host's whole-program tests: spawn `forager run` as an operator would, find where its HTTP
 * server listens (it logs the URL; the tests ask for port 0), collect its JSON log lines, scrape and parse
 * its Prometheus text, and write worker files into a temporary project.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, start } from '../cli/helpers.ts';

export { ROOT };

/** `import { defineWorker, BpmnError } from '<forager>'` for a worker file outside the repository. */
export const SDK = pathToFileURL(join(ROOT, 'src', 'index.ts')).href;

export interface Host {
  readonly child: ChildProcess;
  /** Every JSON log line so far (stdout), parsed. */
  readonly logs: Record<string, unknown>[];
  /** Everything on stdout and stderr so far, for messages on failure. */
  output(): string;
  /** Resolves with the first log line `match` accepts (already seen or yet to come). */
  logged(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the log lines `match` accepts once there are `count` of them. */
  loggedTimes(match: (line: Record<string, unknown>) => boolean, count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  /** The HTTP server's base URL, once it listens. */
  url(): Promise<string>;
}

/** Spawns `forager run …` with JSON logs on stdout and an HTTP port picked by the host. */
export function spawnHost(args: string[], env: Record<string, string>): Host {
  const child = start(['run', ...args], { FORAGER_HTTP_PORT: '0', FORAGER_LOG_FORMAT: 'json', ...env });
  const logs: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line (--print-config prints indented JSON)
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.once('exit', () => {
    for (const wake of waiters) wake();
  });
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  const loggedTimes = (match: (line: Record<string, unknown>) => boolean, count: number, timeoutMs = 20_000) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => {
      const check = () => {
        const lines = logs.filter(match);
        if (lines.length >= count) {
          done();
          resolve(lines);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`forager run exited (${child.exitCode ?? child.signalCode}) before the log line awaited\n${output()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${logs.filter(match).length} of ${count} such log lines within ${timeoutMs} ms\n${output()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const logged = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000) =>
    loggedTimes(match, 1, timeoutMs).then((lines) => lines[0] as Record<string, unknown>);
  let url: Promise<string> | undefined;
  return {
    child,
    logs,
    output,
    logged,
    loggedTimes,
    url: () => (url ??= logged((l) => typeof l.url === 'string' && /HTTP server listening/.test(String(l.msg))).then((l) => String(l.url))),
  };
}

export async function get(url: string): Promise<{ status: number; body: string; contentType: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') ?? '' };
}

/** Asks `url` until it answers `status` (the host's own state, e.g. readiness after the broker appears). */
export async function until(url: string, status: number, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const answer = await get(url).catch((error: Error) => ({ status: -1, body: error.message, contentType: '' }));
    if (answer.status === status) return answer.body;
    last = `${answer.status} ${answer.body}`;
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms; last: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * Parses Prometheus text exposition format (0.0.4): `# HELP` / `# TYPE` lines and samples
 * `name{label="value",…} number`. Throws on a line that is neither, or a sample of an undeclared family.
 */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    assert.ok(sample, `not a Prometheus line: ${line}`);
    const labels: Record<string, string> = {};
    if (sample[2]) {
      const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/y;
      let match: RegExpExecArray | null;
      let at = 0;
      while ((match = pair.exec(sample[2])) !== null) {
        labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        at = pair.lastIndex;
      }
      assert.equal(at, sample[2].length, `bad labels in: ${line}`);
    }
    const name = sample[1]!;
    const family = name.replace(/_(bucket|sum|count|total|created)$/, '');
    assert.ok(types.has(name) || types.has(family) || types.has(`${family}_total`), `sample of an undeclared metric: ${line}`);
    samples.push({ name, labels, value: Number(sample[3]) });
  }
  return { samples, types };
}

/** The value of the one sample named `name` whose labels include `labels` (undefined when none). */
export function metric(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export async function scrape(base: string): Promise<Sample[]> {
  const answer = await get(`${base}/metrics`);
  assert.equal(answer.status, 200);
  assert.match(answer.contentType, /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(answer.body).samples;
}

/** Writes `files` (name → content) into `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
}

/** A process: start → one service task of `jobType` (`retries` of them) → end. */
export function oneTask(processId: string, jobType: string, retries = 3): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" targetNamespace="http://bpmn.io/schema/bpmn" id="d_${processId}">
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="${jobType}" retries="${retries}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
`;
}
