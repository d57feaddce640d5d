/**
 * The CLI's commands as `forager --help` lists them: name, arguments and one line each. Imports nothing, so
 * that `forager --help` and `forager --version` load no command; each command's module uses its line here as
 * its description.
 */
export const COMMAND_SUMMARIES = {
  engine: "run forager's own Zeebe-compatible engine in the background",
  deploy: 'check, then deploy BPMN, DMN and form files (and directories of them) in one deployment: all or none',
  start: 'start a process instance: prints its key (and with --await its result variables as one line of JSON)',
  run: 'run the workers of a directory as a service (health, readiness, metrics) until SIGTERM / SIGINT',
  check: 'check that every job type used in bpmn/ has a worker in workers/, and every worker is used',
  publish: 'publish a message, correlated by name and correlation key (prints the message key)',
  signal: 'broadcast a signal to every process waiting for it (prints the signal key)',
  cancel: 'cancel a process instance (and its child instances)',
  'set-variables': 'set variables in the scope of a process instance or element instance',
  retries: "set a job's retries (a job with 0 retries left has an incident: set retries, then resolve it)",
  resolve: 'resolve an incident, after fixing its cause (for a job: `forager retries` first)',
  status: "the broker's topology: cluster size, partitions, brokers with their partitions and roles, versions",
} as const;

export type CommandName = keyof typeof COMMAND_SUMMARIES;

/** The arguments of each command, as its usage line shows them. */
export const COMMAND_ARGUMENTS: Readonly<Partial<Record<CommandName, string>>> = {
  deploy: '<paths...>',
  start: '<processId>',
  publish: '<messageName>',
  signal: '<signalName>',
  cancel: '<processInstanceKey>',
  'set-variables': '<elementInstanceKey> <json>',
  retries: '<jobKey> <retries>',
  resolve: '<incidentKey>',
};
