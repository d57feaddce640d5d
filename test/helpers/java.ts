/**
 * Runs the Java probe (`test/clients/java/src/ForagerProbe.java`, a driver program on Camunda's official Java
 * client `io.camunda:camunda-client-java`) against an engine.
 *
 * `prepareJavaProbe()` builds it: Maven resolves the client's classpath (offline first, from ~/.m2; online
 * when that fails), `javac` compiles the probe into `test/clients/java/target/classes`. Both are cached under
 * `target/` (git-ignored) and redone only when `pom.xml` or the probe's source change. When `java`, `javac` or
 * `mvn` are missing, or Maven cannot resolve the client, it returns a reason to skip instead of failing.
 *
 * `runJavaProbe()` starts one JVM running the named scenarios, collects the JSON lines it prints, and answers
 * its questions (`{"step":"ask"}` lines) through a callback, writing the answer to its stdin.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const JAVA_PROBE_DIR = fileURLToPath(new URL('../clients/java/', import.meta.url));
const TARGET = join(JAVA_PROBE_DIR, 'target');
const CLASSES = join(TARGET, 'classes');
const CLASSPATH_FILE = join(TARGET, 'classpath.txt');
const STAMP_FILE = join(TARGET, 'build.stamp');
const SOURCE = join(JAVA_PROBE_DIR, 'src', 'ForagerProbe.java');
const POM = join(JAVA_PROBE_DIR, 'pom.xml');

export type JavaProbe = { ready: true; classpath: string } | { ready: false; reason: string };

/** One line the probe printed. */
export interface ProbeLine {
  scenario: string;
  step: string;
  [fact: string]: unknown;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(command: string, args: string[], options: { cwd?: string; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ...(error ? { error } : {}) });
    });
  });
}

async function missingTool(tool: string, versionArgs: string[]): Promise<string | undefined> {
  const result = await run(tool, versionArgs, { timeoutMs: 20_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not installed (not on PATH)`;
  if (result.code !== 0) return `${tool} ${versionArgs.join(' ')} failed: ${(result.stderr || result.stdout).trim().slice(0, 300)}`;
  return undefined;
}

const hash = (...files: string[]) => {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex');
};

/**
 * Resolves the client with Maven and compiles the probe (both cached), or says why the Java client test
 * cannot run on this machine.
 */
export async function prepareJavaProbe(): Promise<JavaProbe> {
  for (const [tool, args] of [['java', ['-version']], ['javac', ['-version']], ['mvn', ['-v']]] as const) {
    const missing = await missingTool(tool, [...args]);
    if (missing) return { ready: false, reason: missing };
  }
  mkdirSync(TARGET, { recursive: true });
  const stamp = hash(POM, SOURCE);
  const classpathOk = () =>
    existsSync(CLASSPATH_FILE) &&
    readFileSync(CLASSPATH_FILE, 'utf8')
      .trim()
      .split(delimiter)
      .every((jar) => jar !== '' && existsSync(jar));
  const built = existsSync(STAMP_FILE) && readFileSync(STAMP_FILE, 'utf8') === stamp && classpathOk() && existsSync(join(CLASSES, 'ForagerProbe.class'));
  if (!built) {
    const mvnArgs = ['-q', '-B', 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH_FILE}`];
    let resolved = await run('mvn', ['-o', ...mvnArgs], { cwd: JAVA_PROBE_DIR, timeoutMs: 120_000 });
    if (resolved.code !== 0 || !classpathOk()) resolved = await run('mvn', mvnArgs, { cwd: JAVA_PROBE_DIR, timeoutMs: 300_000 });
    if (resolved.code !== 0 || !classpathOk()) {
      const output = (resolved.stdout + resolved.stderr).trim().split('\n').slice(-5).join(' | ');
      return { ready: false, reason: `Maven cannot resolve io.camunda:camunda-client-java:8.9.0: ${output}` };
    }
    const classpath = readFileSync(CLASSPATH_FILE, 'utf8').trim();
    const compiled = await run('javac', ['-nowarn', '-d', CLASSES, '-cp', classpath, SOURCE], { timeoutMs: 120_000 });
    // A probe that does not compile is our bug, not a missing tool: fail loudly.
    if (compiled.code !== 0) throw new Error(`javac failed on ForagerProbe.java:\n${compiled.stderr}`);
    writeFileSync(STAMP_FILE, stamp);
  }
  return { ready: true, classpath: `${readFileSync(CLASSPATH_FILE, 'utf8').trim()}${delimiter}${CLASSES}` };
}

export interface ProbeRun {
  lines: ProbeLine[];
  exitCode: number | null;
  stderr: string;
  wallMs: number;
}

export interface RunProbeOptions {
  grpcAddress: string;
  restAddress: string;
  /** Scenario names; empty runs all of them. */
  scenarios?: string[];
  /** Answers a question the probe asked; the result is sent to the probe as one JSON line. */
  answer: (question: ProbeLine) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Kills the JVM after this much wall time (default 180 s). */
  timeoutMs?: number;
  /** Kills the JVM when aborted (a test's `after` hook), so that no JVM outlives its test. */
  signal?: AbortSignal;
}

/** Runs the probe in one JVM; resolves when it exits (or was killed at the timeout). */
export function runJavaProbe(probe: { classpath: string }, options: RunProbeOptions): Promise<ProbeRun> {
  const started = Date.now();
  const args = [
    '-cp', probe.classpath,
    // Quiet client: warnings only, on stderr.
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto',
    'ForagerProbe',
    '--grpc', `http://${options.grpcAddress}`,
    '--rest', options.restAddress,
    ...(options.scenarios ?? []),
  ];
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv() });
  const lines: ProbeLine[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const reader = createInterface({ input: child.stdout });
  reader.on('line', (text) => {
    let line: ProbeLine;
    try {
      line = JSON.parse(text) as ProbeLine;
    } catch {
      lines.push({ scenario: '?', step: 'unparsed', text });
      return;
    }
    lines.push(line);
    if (line.step === 'ask') {
      Promise.resolve()
        .then(() => options.answer(line))
        .catch((error: Error) => ({ error: error.message }))
        .then((reply) => {
          if (!child.stdin.destroyed) child.stdin.write(`${JSON.stringify(reply)}\n`);
        })
        .catch(() => undefined);
    }
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // No JVM outlives the test process, whatever happens to it.
  process.once('exit', kill);
  options.signal?.addEventListener('abort', kill, { once: true });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs ?? 180_000} ms]`;
      kill();
    }, options.timeoutMs ?? 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', kill);
      options.signal?.removeEventListener('abort', kill);
      resolve({ lines, exitCode: code, stderr, wallMs: Date.now() - started });
    });
  });
}

/** The environment without Camunda's client settings, which the client would otherwise apply. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(ZEEBE_|CAMUNDA_)/.test(k)) env[k] = v;
  }
  return env;
}
