// ESLint flat config for forager.
//
// Syntax-only (no type information), so `eslint .` stays fast on a 2-core machine; the type checker
// (`npm run build`) covers what type-aware rules would. Errors fail `npm run lint`, warnings do not.
//
// The engine rule: code under src/engine/ reads time only through the injected clock in
// src/engine/time/. Wall time (`Date.now()`, `new Date()`, `Date()`, `performance.now()`,
// `process.hrtime`) and timers (`setTimeout`, `setInterval`, `node:timers`) are errors anywhere else
// in the engine; replay and the tests' pinned clock depend on it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node's globals for the few plain .js/.cjs/.mjs files (config files, the CLI shim). TypeScript checks
// identifiers in .ts files itself, so no-undef is off there (typescript-eslint's recommendation).
const nodeGlobals = {
  AbortController: 'readonly',
  AbortSignal: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  URLSearchParams: 'readonly',
  TextDecoder: 'readonly',
  TextEncoder: 'readonly',
  clearImmediate: 'readonly',
  clearInterval: 'readonly',
  clearTimeout: 'readonly',
  console: 'readonly',
  fetch: 'readonly',
  process: 'readonly',
  queueMicrotask: 'readonly',
  setImmediate: 'readonly',
  setInterval: 'readonly',
  setTimeout: 'readonly',
  structuredClone: 'readonly',
};
const commonJsGlobals = {
  __dirname: 'readonly',
  __filename: 'readonly',
  exports: 'writable',
  module: 'writable',
  require: 'readonly',
};

const engineClockMessage =
  'The engine reads time only through the injected clock (src/engine/time/): take a Clock and use clock.now() / clock.schedule().';

export default defineConfig(
  {
    // Mirrors .gitignore: installed packages, engine data, coverage output and local scratch files.
    ignores: ['node_modules/**', '.forager/**', 'coverage/**', '.scratch/**', '**/dist/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeGlobals, ...commonJsGlobals } },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // An empty handler is sometimes the point (`catch { /* best effort */ }`): allow it with a comment.
      'no-empty': ['error', { allowEmptyCatch: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    files: ['src/engine/**/*.{ts,mts,cts,js,mjs,cjs}'],
    ignores: ['src/engine/time/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: engineClockMessage },
        { name: 'setInterval', message: engineClockMessage },
        { name: 'clearTimeout', message: engineClockMessage },
        { name: 'clearInterval', message: engineClockMessage },
        { name: 'performance', message: engineClockMessage },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: engineClockMessage },
        { object: 'process', property: 'hrtime', message: engineClockMessage },
        { object: 'process', property: 'uptime', message: engineClockMessage },
        { object: 'globalThis', property: 'setTimeout', message: engineClockMessage },
        { object: 'globalThis', property: 'setInterval', message: engineClockMessage },
        { object: 'globalThis', property: 'performance', message: engineClockMessage },
        { object: 'globalThis', property: 'Date', message: engineClockMessage },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: `new Date() reads wall time. ${engineClockMessage} (new Date(epochMs) is fine.)`,
        },
        {
          selector: "CallExpression[callee.name='Date']",
          message: `Date() reads wall time. ${engineClockMessage}`,
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'timers', message: engineClockMessage },
            { name: 'node:timers', message: engineClockMessage },
            { name: 'timers/promises', message: engineClockMessage },
            { name: 'node:timers/promises', message: engineClockMessage },
            { name: 'perf_hooks', message: engineClockMessage },
            { name: 'node:perf_hooks', message: engineClockMessage },
          ],
        },
      ],
    },
  },
);
