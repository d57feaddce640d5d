/**
 * The commands that act on what runs: `publish` a message, broadcast a `signal`, `cancel` a process
 * instance, `set-variables`, set a job's `retries`, `resolve` an incident. Each checks its arguments first
 * (exit 2, nothing sent), makes one broker call, and says NOT_FOUND as a sentence naming the key (exit 1).
 */
import type { Command } from 'commander';
import { notFound, withBroker, type BrokerSession } from '../lib/broker.ts';
import { parseCount, parseDuration, parseKey, parseVariables, readVariables } from '../lib/args.ts';
import { EXIT } from '../lib/exit.ts';
import type { CliIo } from '../lib/io.ts';
import { globalFlags } from '../lib/flags.ts';
import { examples, output } from '../lib/output.ts';
import { COMMAND_SUMMARIES } from './summaries.ts';

type SetExit = (code: number) => void;

export function registerInstanceCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const run = <T>(use: (session: BrokerSession) => Promise<T>) => withBroker(io, globalFlags(program), use);

  const publish = program
    .command('publish')
    .description(COMMAND_SUMMARIES.publish)
    .argument('<messageName>', 'the message name, as in <bpmn:message name="…">')
    .requiredOption('--correlation-key <key>', "the value the waiting process instance's correlation key evaluates to")
    .option('--variables <json|@file>', 'variables as a JSON object, inline or @file')
    .option('--ttl <duration>', 'time to live: how long the broker keeps the message for subscriptions opened later, e.g. 0, 30s, 1h, PT10M (default 0)')
    .option('--message-id <id>', 'a unique id: another message with the same id is rejected while this one lives')
    .addHelpText('after', examples(`$ forager publish payment-received --correlation-key A-17 --variables '{"amount":42.5}' --ttl 10m`, '2251799813685270'))
    .action(async (name: string, opts: { correlationKey: string; variables?: string; ttl?: string; messageId?: string }) => {
      const out = output(io, publish);
      const variables = await readVariables(opts.variables, io.cwd);
      const timeToLiveMs = opts.ttl === undefined ? undefined : parseDuration(opts.ttl, '--ttl');
      const key = await run(({ transport }) =>
        transport.publishMessage({
          name,
          correlationKey: opts.correlationKey,
          variables,
          ...(timeToLiveMs !== undefined ? { timeToLiveMs } : {}),
          ...(opts.messageId !== undefined ? { messageId: opts.messageId } : {}),
        }),
      );
      out.result([key], { messageKey: key, name, correlationKey: opts.correlationKey });
      setExit(EXIT.OK);
    });

  const signal = program
    .command('signal')
    .description(COMMAND_SUMMARIES.signal)
    .argument('<signalName>', 'the signal name, as in <bpmn:signal name="…">')
    .option('--variables <json|@file>', 'variables as a JSON object, inline or @file')
    .addHelpText('after', examples(`$ forager signal stock-updated --variables '{"sku":"X-1"}'`, '2251799813685275'))
    .action(async (name: string, opts: { variables?: string }) => {
      const out = output(io, signal);
      const variables = await readVariables(opts.variables, io.cwd);
      const key = await run(({ transport }) => transport.broadcastSignal(name, variables));
      out.result([key], { signalKey: key, name });
      setExit(EXIT.OK);
    });

  const cancel = program
    .command('cancel')
    .description(COMMAND_SUMMARIES.cancel)
    .argument('<processInstanceKey>', 'the key `forager start` printed')
    .addHelpText('after', examples('$ forager cancel 2251799813685260', 'cancelled process instance 2251799813685260'))
    .action(async (text: string) => {
      const out = output(io, cancel);
      const key = parseKey(text, 'a process instance key');
      await run(({ transport }) => notFound(() => transport.cancelInstance(key), `no process instance with key ${key} is active`));
      out.result([`cancelled process instance ${key}`], { processInstanceKey: key, cancelled: true });
      setExit(EXIT.OK);
    });

  const setVariables = program
    .command('set-variables')
    .description(COMMAND_SUMMARIES['set-variables'])
    .argument('<elementInstanceKey>', 'a process instance key, or the key of an element instance (e.g. a subprocess)')
    .argument('<json>', 'the variables as a JSON object, or @file')
    .option('--local', 'set them in this scope only (they do not propagate up to parent scopes)')
    .addHelpText('after', examples(`$ forager set-variables 2251799813685260 '{"address":"Main St 1"}'`, 'set 1 variable in 2251799813685260'))
    .action(async (text: string, json: string, opts: { local?: boolean }) => {
      const out = output(io, setVariables);
      const key = parseKey(text, 'an element instance key');
      const variables = json.startsWith('@') ? await readVariables(json, io.cwd, 'variables') : parseVariables(json, 'variables');
      await run(({ transport }) =>
        notFound(() => transport.setVariables(key, variables, { local: opts.local === true }), `no active element instance with key ${key}`),
      );
      const count = Object.keys(variables).length;
      out.result([`set ${count} variable${count === 1 ? '' : 's'} in ${key}${opts.local ? ' (local)' : ''}`], { elementInstanceKey: key, variables: Object.keys(variables), local: opts.local === true });
      setExit(EXIT.OK);
    });

  const retries = program
    .command('retries')
    .description(COMMAND_SUMMARIES.retries)
    .argument('<jobKey>', 'the job key')
    .argument('<retries>', 'how many more times workers may try it')
    .addHelpText('after', examples('$ forager retries 2251799813685290 3', 'job 2251799813685290 has 3 retries'))
    .action(async (text: string, count: string) => {
      const out = output(io, retries);
      const key = parseKey(text, 'a job key');
      const n = parseCount(count, 'retries');
      await run(({ transport }) => notFound(() => transport.updateRetries(key, n), `no job with key ${key}`));
      out.result([`job ${key} has ${n} retr${n === 1 ? 'y' : 'ies'}`], { jobKey: key, retries: n });
      setExit(EXIT.OK);
    });

  const resolve = program
    .command('resolve')
    .description(COMMAND_SUMMARIES.resolve)
    .argument('<incidentKey>', 'the incident key')
    .addHelpText('after', examples('$ forager retries 2251799813685290 1 && forager resolve 2251799813685292', 'resolved incident 2251799813685292'))
    .action(async (text: string) => {
      const out = output(io, resolve);
      const key = parseKey(text, 'an incident key');
      await run(({ transport }) => notFound(() => transport.resolveIncident(key), `no incident with key ${key}`));
      out.result([`resolved incident ${key}`], { incidentKey: key, resolved: true });
      setExit(EXIT.OK);
    });
}
