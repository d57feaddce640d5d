// dependency-cruiser rules for forager: the import directions of /work/shared/notes/architecture.md.
//
//   cli → host → worker/triggers → middleware/policy → transport → config
//
// A lower layer never imports a higher one, there are no cycles, the engine (src/engine/) is a world of
// its own reached only by src/testing/ and the CLI's engine commands, and user code (workers/, triggers/)
// sees only the public entry points. Run by `npm run lint`:
//   depcruise src cli workers test --config .dependency-cruiser.cjs
// Every rule is an error: a violation fails the lint.

/** Everything that is forager's own code, as paths relative to the repository root. */
const PROJECT = '^(src|cli|workers|triggers|test)/';
/** What a user writes: one file per job type (workers/) or trigger (triggers/). */
const USER_CODE = '^(workers|triggers)/';
/** The only modules user code may import from forager: `forager` and `forager/testing`. */
const PUBLIC_ENTRY_POINTS = ['^src/index\\.ts$', '^src/testing/index\\.ts$'];

/**
 * A layer of the SDK side (a folder under src/) and the folders above it, which it must not import.
 * Folders not named here (for example shared helpers) are unconstrained apart from the cycle rule.
 */
const LAYERS = [
  {
    name: 'config',
    comment:
      'src/config/ is the bottom layer: it imports nothing of forager but itself and the one duration grammar ' +
      '(src/policy/durations.ts, pure and importing nothing), so environment, flags and options read durations alike.',
    from: '^src/config/',
    notTo: [PROJECT],
    except: ['^src/config/', '^src/policy/durations\\.ts$'],
  },
  {
    name: 'transport',
    comment:
      'src/transport/ sits under the worker, triggers, middleware and host; it may use src/config/ and the ' +
      'pure src/policy/ (backoff for broker calls), nothing above.',
    from: '^src/transport/',
    notTo: ['^src/(worker|triggers|middleware|idempotency|host|bpmn|testing)/', '^(cli|workers|triggers|test)/'],
  },
  {
    name: 'policy',
    comment:
      'src/policy/ is pure (backoff, retry classification, capacity, with an injected clock and random ' +
      'source): it imports nothing from transport, worker, triggers, middleware, host or cli.',
    from: '^src/policy/',
    notTo: [
      '^src/(transport|worker|triggers|middleware|idempotency|host|bpmn|testing)/',
      '^(cli|workers|triggers|test)/',
    ],
  },
  {
    name: 'middleware',
    comment:
      'src/middleware/ wraps handlers as (ctx, next); the worker composes it, so it must not import the ' +
      'worker, triggers, host or cli (put shared types in a lower layer).',
    from: '^src/middleware/',
    notTo: ['^src/(worker|triggers|host|testing)/', '^(cli|workers|triggers|test)/'],
  },
  {
    name: 'idempotency',
    comment: 'src/idempotency/ holds stores the middleware uses; it must not import the layers above it.',
    from: '^src/idempotency/',
    notTo: ['^src/(middleware|worker|triggers|host|testing)/', '^(cli|workers|triggers|test)/'],
  },
  {
    name: 'worker',
    comment: 'src/worker/ and src/triggers/ are composed by the host: they must not import src/host/ or cli/.',
    from: '^src/(worker|triggers)/',
    notTo: ['^src/(host|testing)/', '^(cli|workers|triggers|test)/'],
  },
  {
    name: 'bpmn',
    comment: 'src/bpmn/ (parse, validate, lint) is used by the cli and host; it must not import them or the runtime.',
    from: '^src/bpmn/',
    notTo: ['^src/(worker|triggers|middleware|idempotency|host|testing)/', '^(cli|workers|triggers|test)/'],
  },
  {
    name: 'host',
    comment: 'src/host/ is driven by the cli: it must not import cli/ (workers/ are discovered at run time, not imported).',
    from: '^src/host/',
    notTo: ['^src/testing/', '^(cli|workers|triggers|test)/'],
  },
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'This import closes a cycle. Imports point one way (cli → host → worker → transport → config): ' +
        'move the shared piece down a layer or invert the dependency.',
      from: {},
      to: { circular: true },
    },

    // ── The engine is a separate world ─────────────────────────────────────────────────────────────
    {
      name: 'engine-imports-only-engine',
      severity: 'error',
      comment:
        'src/engine/ imports nothing of the SDK side (nor cli/, workers/, test/): it speaks to them only ' +
        'over the wire. Use node_modules or code inside src/engine/.',
      from: { path: '^src/engine/' },
      to: { path: PROJECT, pathNot: '^src/engine/' },
    },
    {
      name: 'engine-reached-only-by-testing-and-cli',
      severity: 'error',
      comment:
        'The engine is its own package (forager-engine): only src/testing/engine.ts loads it (by that name; ' +
        '`forager engine up` spawns its main file), and test/ (engine unit tests) imports its sources. ' +
        'Everything else reaches the engine over gRPC/REST, like any Zeebe.',
      from: {
        pathNot: ['^src/engine/', '^src/testing/engine\\.ts$', '^test/'],
      },
      to: { path: '^src/engine/' },
    },

    // ── Layering of the SDK side ───────────────────────────────────────────────────────────────────
    {
      name: 'sdk-not-to-cli-user-code-or-tests',
      severity: 'error',
      comment: 'Nothing under src/ imports cli/, workers/, triggers/ or test/: imports point down, into src/.',
      from: { path: '^src/' },
      to: { path: '^(cli|workers|triggers|test)/' },
    },
    {
      name: 'testing-only-from-tests-cli-and-user-code',
      severity: 'error',
      comment:
        'src/testing/ (forager/testing) is a top layer for tests: the SDK, host and engine must not import it.',
      from: { path: '^src/', pathNot: '^src/testing/' },
      to: { path: '^src/testing/' },
    },
    ...LAYERS.map((layer) => ({
      name: `layer-${layer.name}`,
      severity: 'error',
      comment: layer.comment,
      from: { path: layer.from },
      to: { path: layer.notTo, ...(layer.except ? { pathNot: layer.except } : {}) },
    })),

    // ── User code uses the public API only ─────────────────────────────────────────────────────────
    {
      name: 'user-code-only-public-entry-points',
      severity: 'error',
      comment:
        "workers/ and triggers/ import forager only through its public entry points ('forager' = src/index.ts, " +
        "'forager/testing' = src/testing/index.ts), plus npm packages, node built-ins and each other.",
      from: { path: USER_CODE },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: [...PUBLIC_ENTRY_POINTS, USER_CODE, '(^|/)node_modules/'],
      },
    },

    // ── Packages ───────────────────────────────────────────────────────────────────────────────────
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'src/ and cli/ ship to users: they must not import a devDependency at run time (type-only imports ' +
        'are fine). Move the package to "dependencies" (or "peerDependencies", optional when only one ' +
        'feature needs it, also listed in "devDependencies" for the tests), or keep the import in test/.',
      from: { path: '^(src|cli)/' },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only', 'npm-peer'],
        pathNot: ['node_modules/@types/'],
      },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment:
        "This imports an npm package that is not in package.json (only some other package's dependency): " +
        'add it to "dependencies" (or "devDependencies" for test/).',
      from: {},
      // A peer dependency (zod, pg, ioredis, tsx) is in package.json even where the resolver says otherwise.
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['npm-peer'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'This import resolves to no file: a typo, a missing file, or a package missing from package.json.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],

  options: {
    doNotFollow: { path: ['(^|/)node_modules/'] },
    // Type-only imports count too: a layer must not depend on a higher one even for its types.
    tsPreCompilationDeps: true,
    // Resolve as tsc does (this repository imports with explicit `.ts` extensions).
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
