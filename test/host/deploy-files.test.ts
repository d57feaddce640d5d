/**
 * The container files in docker/, tested without a Docker engine: the compose files and Kubernetes
 * manifests parse; every job type in workers/ has a compose service and a Deployment (FORAGER_TYPES set);
 * probes point at the host's endpoints on the port it listens on; images of Camunda are pinned and their
 * licence named; the Dockerfile is multi-stage, non-root, runs built JS. Then the image's commands are run
 * directly: forager built as the Dockerfile builds it (in a copy of the sources), the engine started with the compose file's engine
 * command, the worker with the Dockerfile's entrypoint, the Deployment's args and environment; every probe
 * of the Deployment answers 200 and the greet job of bpmn/hello.bpmn is done.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { resolveConfig } from '../../src/config/index.ts';
import { discoverWorkers } from '../../src/host/index.ts';
import { createJobClient } from '../../src/transport/index.ts';
import { cleanEnv, exitOf } from '../cli/helpers.ts';
import { copyRepository } from '../helpers/build-copy.ts';
import { get, ROOT, until } from './helpers.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- parsed YAML is walked loosely */
type Doc = any;

const DOCKER = join(ROOT, 'docker');
const read = (name: string) => readFile(join(DOCKER, name), 'utf8');

async function k8sDocs(): Promise<Doc[]> {
  const docs: Doc[] = [];
  for (const name of (await readdir(join(DOCKER, 'k8s'))).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(DOCKER, 'k8s', name), 'utf8'))) {
      assert.deepEqual(doc.errors, [], `k8s/${name} parses`);
      const value = doc.toJS() as Doc;
      if (value) docs.push({ ...value, file: name });
    }
  }
  return docs;
}

/** The Dockerfile's instructions of the last stage (the image), with JSON-array forms parsed. */
function dockerfile(text: string) {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const stages = lines.filter((l) => /^FROM\s/i.test(l));
  const last = lines.slice(lines.lastIndexOf(stages.at(-1)!));
  const one = (instruction: string) => last.filter((l) => l.startsWith(`${instruction} `)).at(-1)?.slice(instruction.length + 1).trim();
  const env: Record<string, string> = {};
  for (const line of last.filter((l) => l.startsWith('ENV '))) {
    for (const [, key, value] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[key!] = value!;
  }
  return {
    stages,
    runs: lines.filter((l) => l.startsWith('RUN ')).map((l) => l.slice(4)),
    user: one('USER'),
    workdir: one('WORKDIR'),
    entrypoint: JSON.parse(one('ENTRYPOINT') ?? '[]') as string[],
    cmd: JSON.parse(one('CMD') ?? '[]') as string[],
    env,
  };
}

describe('docker/: compose files, Kubernetes manifests, Dockerfile', () => {
  let types: string[] = [];
  before(async () => {
    types = (await discoverWorkers(join(ROOT, 'workers'), ROOT)).map((w) => w.definition.type);
    assert.ok(types.length > 0);
  });

  it("docker-compose.yml: forager's engine and one worker service per job type", async () => {
    const compose = parse(await read('docker-compose.yml'), { merge: true }) as Doc;
    const engine = compose.services.engine;
    assert.deepEqual(engine.entrypoint, ['node', 'src/engine/dist/main.js']);
    assert.ok(engine.command.includes('0.0.0.0'), 'the engine listens beyond loopback inside its container');
    for (const type of types) {
      const service = compose.services[`worker-${type}`];
      assert.ok(service, `a service for job type ${type}`);
      assert.equal(service.environment.FORAGER_TYPES, type);
      assert.equal(service.environment.ZEEBE_GRPC_ADDRESS, 'grpc://engine:26500');
      assert.deepEqual(service.depends_on, ['engine']);
    }
    const workerServices = Object.keys(compose.services).filter((s) => s.startsWith('worker-'));
    assert.deepEqual(workerServices.sort(), types.map((t) => `worker-${t}`).sort(), 'no service for a job type without a worker');
  });

  it("docker-compose.camunda.yml: Camunda 8.8's Zeebe and Operate (one image), versions pinned, licence named", async () => {
    const text = await read('docker-compose.camunda.yml');
    const compose = parse(text, { merge: true }) as Doc;
    // 8.8 ships Zeebe, Operate and Tasklist as one image; the Spring profiles choose what runs in it.
    assert.match(compose.services.zeebe.image, /^camunda\/camunda:8\.8\.\d+$/);
    const profiles = String(compose.services.zeebe.environment.SPRING_PROFILES_ACTIVE).split(',');
    for (const profile of ['broker', 'operate']) assert.ok(profiles.includes(profile), `profile ${profile} in ${profiles.join(',')}`);
    assert.equal(compose.services.zeebe.environment.CAMUNDA_DATA_SECONDARYSTORAGE_ELASTICSEARCH_URL, 'http://elasticsearch:9200');
    assert.match(compose.services.elasticsearch.image, /:\d+\.\d+\.\d+$/);
    assert.match(text, /Camunda License 1\.0/);
    assert.match(text, /Elastic License/);
    for (const type of types) assert.equal(compose.services[`worker-${type}`]?.environment.FORAGER_TYPES, type);
    assert.equal(compose.services[`worker-${types[0]}`].environment.ZEEBE_GRPC_ADDRESS, 'grpc://zeebe:26500');
    assert.equal(compose.services[`worker-${types[0]}`].environment.CAMUNDA_AUTH_STRATEGY, 'NONE', 'the API is unprotected, as in the quickstart');
  });

  it('Kubernetes: a Deployment per job type with FORAGER_TYPES, probes on the host endpoints and port, resources, a metrics Service, an HPA', async () => {
    const docs = await k8sDocs();
    const config = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'forager-config');
    assert.ok(config);
    const port = Number(config.data.FORAGER_HTTP_PORT);
    assert.equal(config.data.FORAGER_HTTP_HOST, '0.0.0.0', 'probes reach the pod from the kubelet');
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    for (const type of types) {
      const deployment = deployments.find((d) => d.spec.template.spec.containers[0].env.some((e: Doc) => e.name === 'FORAGER_TYPES' && e.value === type));
      assert.ok(deployment, `a Deployment with FORAGER_TYPES=${type}`);
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      const metricsPort = container.ports.find((p: Doc) => p.containerPort === port);
      assert.ok(metricsPort, 'the container port is FORAGER_HTTP_PORT');
      assert.equal(container.livenessProbe.httpGet.path, '/healthz');
      assert.equal(container.readinessProbe.httpGet.path, '/readyz');
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        assert.ok([metricsPort.name, port].includes(container[probe].httpGet.port), `${probe} on the HTTP port`);
      }
      assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);
      assert.ok(container.envFrom.some((e: Doc) => e.configMapRef?.name === 'forager-config'));
      assert.equal(pod.securityContext.runAsNonRoot, true);
      if (container.securityContext?.readOnlyRootFilesystem && config.data.CAMUNDA_AUTH_STRATEGY === 'OAUTH') {
        // The SDK's OAuth provider refuses to start when it cannot write its token cache directory.
        const writable = container.volumeMounts.map((m: Doc) => m.mountPath as string);
        const cacheDir = config.data.CAMUNDA_TOKEN_CACHE_DIR as string | undefined;
        assert.ok(cacheDir && writable.some((dir: string) => cacheDir.startsWith(`${dir}/`)), `CAMUNDA_TOKEN_CACHE_DIR (${cacheDir}) lies on a writable mount (${writable.join(', ')})`);
      }
      const graceMs = Number(/^(\d+)s$/.exec(config.data.FORAGER_SHUTDOWN_GRACE)![1]) * 1000;
      assert.ok(pod.terminationGracePeriodSeconds * 1000 > graceMs, 'the kubelet waits longer than the drain');
      assert.deepEqual(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
      const hpa = docs.find((d) => d.kind === 'HorizontalPodAutoscaler' && d.spec.scaleTargetRef.name === deployment.metadata.name);
      if (type === 'greet') assert.ok(hpa, 'the HPA example targets the greet Deployment');
    }
    for (const hpa of docs.filter((d) => d.kind === 'HorizontalPodAutoscaler')) {
      assert.ok(deployments.some((d) => d.metadata.name === hpa.spec.scaleTargetRef.name), `${hpa.metadata.name} targets a Deployment`);
    }
    const service = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'forager-metrics');
    assert.ok(service);
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels;
      assert.ok(Object.entries(service.spec.selector).every(([k, v]) => labels[k] === v), `the metrics Service selects ${deployment.metadata.name}`);
    }
    assert.equal(service.spec.ports[0].port, port);
    const kustomization = docs.find((d) => d.kind === 'Kustomization');
    for (const resource of kustomization.resources) assert.ok(docs.some((d) => d.file === resource), `${resource} exists`);
  });

  it('Dockerfile: multi-stage, built JS, production dependencies, non-root', async () => {
    const file = dockerfile(await read('Dockerfile'));
    assert.ok(file.stages.length >= 2, 'multi-stage');
    assert.ok(file.runs.includes('npm run build && npx tsc -p docker/tsconfig.workers.json'));
    assert.ok(file.runs.some((r) => r.includes('npm ci --omit=dev')));
    assert.equal(file.user, 'node');
    assert.deepEqual(file.entrypoint, ['node', 'dist/cli/forager.js']);
    assert.deepEqual(file.cmd, ['run']);
    assert.equal(file.env.FORAGER_WORKERS_DIR, 'dist/workers');
  });

  describe("the image's commands, run directly on the built JavaScript", () => {
    let app = '';
    const children = new Set<ChildProcess>();
    const run = (args: string[], env: Record<string, string>) => {
      const child = spawn(args[0] === 'node' ? process.execPath : args[0]!, args.slice(1), { cwd: app, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      child.once('exit', () => children.delete(child));
      let output = '';
      child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
      return { child, output: () => output };
    };
    const waitFor = async (out: () => string, pattern: RegExp, child: ChildProcess, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(out());
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out()}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${out()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    before(async () => {
      // As the Dockerfile builds it, in a copy of the sources as WORKDIR /app: `npm run build`, then the
      // workers with `npx tsc -p docker/tsconfig.workers.json` into dist/workers.
      app = await mkdtemp(join(tmpdir(), 'forager-image-'));
      await copyRepository(app, { build: true });
      const tsc = spawn(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(app, 'docker', 'tsconfig.workers.json')], {
        cwd: app,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(tsc);
      let out = '';
      tsc.stdout.on('data', (c: Buffer) => (out += c.toString()));
      assert.equal(await exitOf(tsc, 180_000), 0, out);
      await mkdir(join(app, 'data'));
    });

    after(async () => {
      for (const child of children) child.kill('SIGKILL');
      await rm(app, { recursive: true, force: true });
    });

    it('the engine service starts, the worker pod command becomes ready on every probe, runs its job and drains on SIGTERM', async () => {
      const compose = parse(await read('docker-compose.yml'), { merge: true }) as Doc;
      // The compose engine command, bound to loopback and free ports here, its data directory in the temp dir.
      const values: Record<string, string> = { '--host': '127.0.0.1', '--port': '0', '--rest-port': '0', '--data-dir': join(app, 'data') };
      const engineArgs = [...compose.services.engine.entrypoint, ...compose.services.engine.command.map((a: string, i: number, all: string[]) => values[all[i - 1]!] ?? a)];
      const engine = run(engineArgs, {});
      const [, grpc, rest] = await waitFor(engine.output, /forager engine listening on (127\.0\.0\.1:\d+) \(REST (http:\/\/127\.0\.0\.1:\d+)/, engine.child);

      const file = dockerfile(await read('Dockerfile'));
      const docs = await k8sDocs();
      const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'forager-greet');
      const container = deployment.spec.template.spec.containers[0];
      const env: Record<string, string> = { ...file.env, ...docs.find((d) => d.kind === 'ConfigMap').data };
      for (const e of container.env) if (e.value !== undefined) env[e.name] = e.value;
      // The cluster's broker and credentials are this test's engine; the HTTP server on loopback, any port.
      Object.assign(env, { ZEEBE_GRPC_ADDRESS: `grpc://${grpc}`, CAMUNDA_AUTH_STRATEGY: 'NONE', FORAGER_HTTP_HOST: '127.0.0.1', FORAGER_HTTP_PORT: '0' });
      delete env.CAMUNDA_OAUTH_URL;
      const worker = run([...file.entrypoint, ...container.args], env);
      const [, url] = await waitFor(worker.output, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/, worker.child);
      await until(`${url}${container.readinessProbe.httpGet.path}`, 200);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        assert.equal((await get(`${url}${container[probe].httpGet.path}`)).status, 200, probe);
      }
      assert.match(worker.output(), /"jobTypes":\["greet"\]/);

      const client = createJobClient(resolveConfig({ ZEEBE_GRPC_ADDRESS: `grpc://${grpc}` }));
      try {
        await client.deploy([{ name: 'hello.bpmn', content: await readFile(join(ROOT, 'bpmn', 'hello.bpmn')) }]);
        const key = await client.createInstance('hello', { name: 'pod' });
        await waitFor(worker.output, new RegExp(`"processInstanceKey":"${key}".*"msg":"job completed"`), worker.child);
        const deadline = Date.now() + 10_000;
        for (;;) {
          const response = await fetch(`${rest}/v2/process-instances/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filter: { processInstanceKey: key } }) });
          const [instance] = ((await response.json()) as { items: { state: string }[] }).items;
          if (instance?.state === 'COMPLETED') break;
          assert.ok(Date.now() < deadline, `instance ${key} completed`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        client.close();
      }
      assert.doesNotMatch(worker.output(), /tsx|ERR_UNKNOWN_FILE_EXTENSION/);

      worker.child.kill('SIGTERM');
      assert.equal(await exitOf(worker.child, 15_000), 0, worker.output());
      engine.child.kill('SIGTERM');
      assert.equal(await exitOf(engine.child, 15_000), 0, engine.output());
    });

    it("the image's CLI starts and stops forager's engine too (engine up, status, down on the built JavaScript)", async () => {
      const file = dockerfile(await read('Dockerfile'));
      const env = { FORAGER_HOME: join(app, 'home') };
      const cli = async (...args: string[]) => {
        const command = run([...file.entrypoint, ...args], env);
        const code = await exitOf(command.child, 30_000);
        return { code, output: command.output() };
      };
      const up = await cli('engine', 'up');
      assert.equal(up.code, 0, up.output);
      assert.match(up.output, /^ZEEBE_REST_ADDRESS=http:\/\/127\.0\.0\.1:\d+$/m);
      try {
        const status = await cli('engine', 'status');
        assert.equal(status.code, 0, status.output);
        assert.match(status.output, /engine running at 127\.0\.0\.1:\d+/);
      } finally {
        const down = await cli('engine', 'down');
        assert.equal(down.code, 0, down.output);
        assert.match(down.output, /stopped the engine/);
      }
      assert.equal((await cli('engine', 'status')).code, 3);
    });
  });
});
