/**
 * The engine's history: a read model built from committed records, as Camunda's exporter builds secondary
 * storage for its search API. It keeps what the REST API's searches need: process definitions, process
 * instances (running and ended), element instances, incidents (active and resolved), jobs and variables.
 *
 * It is a reader: it subscribes to committed batches (`engine.onCommit(records => history.apply(records))`)
 * and never changes engine state. The projection works by intent, not by element kind, so element kinds
 * the engine learns later show up without changes here.
 *
 * Memory is bounded by retention: an ended process instance (with its element instances, variables,
 * incidents and jobs) is dropped once it ended more than `retentionMs` ago by the engine clock, or once
 * more than `maxEndedInstances` ended instances are kept (oldest first). Running instances are kept.
 *
 * Rows are kept in the REST API's shapes (keys as strings, dates as ISO 8601 strings), so a search is a
 * filter over rows.
 *
 * With a data directory the history survives a restart: each snapshot carries a dump of its rows
 * (`snapshotSection()`, a section beside the engine state, versioned by `HISTORY_DUMP_VERSION`), and a start
 * loads that dump and projects the records replayed after the snapshot's position, each once; retention then
 * applies on the recovered engine clock.
 *
 * @example
 * const history = new History(clock, { retentionMs: 3_600_000, maxEndedInstances: 10_000 });
 * engine.onCommit((records) => history.apply(records));
 * history.processInstance(key)?.state; // 'ACTIVE' | 'COMPLETED' | 'TERMINATED'
 */
import { sharedStrings, type SharedStrings } from '../log/codec.ts';
import type { SnapshotSection } from '../log/snapshot.ts';
import type { ElementValue, IncidentValue, ProcessCreatedValue, VariableValue } from '../state/appliers.ts';
import type { EngineRecord } from '../state/records.ts';
import type { Clock } from '../time/clock.ts';

export const TENANT_ID = '<default>';

export interface HistoryOptions {
  /** Ended process instances are dropped this long (engine time) after they ended. Default 24 h. */
  retentionMs?: number;
  /** At most this many ended process instances are kept; the oldest go first. Default 10 000. */
  maxEndedInstances?: number;
}

export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_ENDED_INSTANCES = 10_000;

export interface ProcessDefinitionRow {
  processDefinitionKey: string;
  processDefinitionId: string;
  name?: string;
  resourceName: string;
  version: number;
  tenantId: string;
  hasStartForm: boolean;
}

export type InstanceState = 'ACTIVE' | 'COMPLETED' | 'TERMINATED';

export interface ProcessInstanceRow {
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processDefinitionName: string;
  processDefinitionVersion: number;
  startDate: string;
  endDate?: string;
  state: InstanceState;
  hasIncident: boolean;
  tenantId: string;
  parentProcessInstanceKey?: string;
  parentElementInstanceKey?: string;
}

export interface ElementInstanceRow {
  elementInstanceKey: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  elementId: string;
  elementName: string;
  type: string;
  state: InstanceState;
  startDate: string;
  endDate?: string;
  hasIncident: boolean;
  incidentKey?: string;
  tenantId: string;
}

export interface IncidentRow {
  incidentKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processInstanceKey: string;
  errorType: string;
  errorMessage: string;
  elementId: string;
  elementInstanceKey: string;
  creationTime: string;
  state: 'ACTIVE' | 'RESOLVED';
  jobKey?: string;
  tenantId: string;
}

export type JobRowState = 'CREATED' | 'COMPLETED' | 'FAILED' | 'TIMED_OUT' | 'RETRIES_UPDATED' | 'ERROR_THROWN' | 'CANCELED';

export interface JobRow {
  jobKey: string;
  type: string;
  worker: string;
  state: JobRowState;
  kind: 'BPMN_ELEMENT';
  listenerEventType: 'UNSPECIFIED';
  retries: number;
  isDenied: null;
  deniedReason: null;
  hasFailedWithRetriesLeft: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  customHeaders: Record<string, string>;
  deadline: string | null;
  endTime?: string;
  processDefinitionId: string;
  processDefinitionKey: string;
  processInstanceKey: string;
  elementId: string;
  elementInstanceKey: string;
  tenantId: string;
}

export interface VariableRow {
  variableKey: string;
  name: string;
  /** The value as JSON text. */
  value: string;
  scopeKey: string;
  processInstanceKey: string;
  tenantId: string;
}

/** What one process instance owns in the history, so that retention can drop it whole. */

/**
 * The history as a snapshot holds it: JSON text (encoded natively, no tags), rows column-wise, so that field
 * names are written once per table and a column holding one value in every row (the tenant, say) once too:
 * `{ definitions, instances, elements, incidents, jobs, variables: { f: [field…], c: {field: value}, r: [[value…]…] },
 * elementNames: [[definitionKey, [[elementId, name]…]]…], flowScopes: [[key, scope | null]…], ended: [[key, endMs]…] }`.
 * An optional field a row lacks is written null. The indexes (what each process instance owns, variable keys by
 * scope and name, active incident counts) are rebuilt on load. Bump `HISTORY_DUMP_VERSION` when this changes.
 */
export const HISTORY_DUMP_VERSION = 1;

interface RowsDump {
  /** Field names of the columns in `r`. */
  f: string[];
  /** Fields with the same value in every row. */
  c: Record<string, unknown>;
  r: unknown[][];
}

/** Fields rows may lack (never null when present): a null in the dump means absent. */
const OPTIONAL_FIELDS = new Set(['name', 'endDate', 'parentProcessInstanceKey', 'parentElementInstanceKey', 'incidentKey', 'jobKey', 'endTime']);

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

function dumpRows(rows: Iterable<object>): RowsDump {
  const list = [...rows] as Record<string, unknown>[];
  const fields: string[] = [];
  const seen = new Set<string>();
  for (const row of list) {
    for (const field of Object.keys(row)) {
      if (!seen.has(field)) {
        seen.add(field);
        fields.push(field);
      }
    }
  }
  const constant: Record<string, unknown> = {};
  const varying: string[] = [];
  for (const field of fields) {
    const first = list[0]![field] ?? null;
    if (isPrimitive(first) && list.every((row) => (row[field] ?? null) === first)) constant[field] = first;
    else varying.push(field);
  }
  return { f: varying, c: constant, r: list.map((row) => varying.map((field) => row[field] ?? null)) };
}

function loadRows<Row>(dump: RowsDump, keyField: keyof Row & string, into: Map<string, Row>, share: SharedStrings): void {
  const { f, c, r } = dump;
  if (!Array.isArray(f) || !Array.isArray(r) || c === null || typeof c !== 'object') throw new TypeError('a table of the history dump is not one');
  const constant = Object.entries(c).filter(([field, value]) => !(value === null && OPTIONAL_FIELDS.has(field)));
  into.clear();
  for (const values of r) {
    const row: Record<string, unknown> = {};
    for (const [field, value] of constant) row[field] = value;
    f.forEach((field, i) => {
      const value: unknown = values[i] ?? null;
      if (!(value === null && OPTIONAL_FIELDS.has(field))) row[field] = typeof value === 'string' ? share(value) : value;
    });
    into.set(String(row[keyField]), row as Row);
  }
}

let lastDateMs = Number.NaN;
let lastDate = '';

/**
 * An engine timestamp as Camunda's REST dates (ISO 8601, UTC). The records of a batch mostly share one timestamp:
 * the last one is remembered, so those rows share one string instead of formatting and holding one each.
 */
export function isoDate(epochMs: number): string {
  if (epochMs !== lastDateMs) {
    lastDate = new Date(epochMs).toISOString();
    lastDateMs = epochMs;
  }
  return lastDate;
}

export class History {
  readonly #clock: Clock;
  readonly #retentionMs: number;
  readonly #maxEnded: number;

  readonly #definitions = new Map<string, ProcessDefinitionRow>();
  /** process definition key → element id → element name. */
  readonly #elementNames = new Map<string, Map<string, string>>();
  readonly #instances = new Map<string, ProcessInstanceRow>();
  readonly #elements = new Map<string, ElementInstanceRow>();
  /** element instance key → its flow scope key. */
  readonly #flowScopes = new Map<string, string | undefined>();
  readonly #incidents = new Map<string, IncidentRow>();
  readonly #jobs = new Map<string, JobRow>();
  readonly #variables = new Map<string, VariableRow>();
  /** scope key + name → variable key (updates keep the key of the variable's creation, as Camunda does). */
  readonly #variableKeys = new Map<string, string>();
  /** process instance key → active incident count. */
  readonly #activeIncidents = new Map<string, number>();
  /** process instance key → the keys of its element, variable, incident and job rows (one list: keys are unique). */
  readonly #owned = new Map<string, string[]>();
  /** Ended process instances, in the order they ended → end time (engine epoch ms). */
  readonly #ended = new Map<string, number>();

  constructor(clock: Clock, options: HistoryOptions = {}) {
    const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    const maxEnded = options.maxEndedInstances ?? DEFAULT_MAX_ENDED_INSTANCES;
    if (!(retentionMs >= 0)) throw new RangeError(`history.retentionMs must be 0 or more; got ${options.retentionMs}`);
    if (!(Number.isInteger(maxEnded) && maxEnded >= 0)) {
      throw new RangeError(`history.maxEndedInstances must be a whole number of at least 0; got ${options.maxEndedInstances}`);
    }
    this.#clock = clock;
    this.#retentionMs = retentionMs;
    this.#maxEnded = maxEnded;
  }

  /* ---------- projection ---------- */

  /** Projects a committed batch, then applies retention. Only events are read; commands and rejections change nothing. */
  apply(records: readonly EngineRecord[]): void {
    for (const record of records) this.project(record);
    this.prune();
  }

  /**
   * Projects one record without applying retention (a start replays the log with it before the clock is
   * set from the recovered state; `prune()` follows). Each record must be projected once.
   */
  project(record: EngineRecord): void {
    if (record.recordType !== 'EVENT') return;
    try {
      this.#applyEvent(record);
    } catch {
      // A record of a shape the history does not know must not break the batch's other rows.
    }
  }

  /* ---------- snapshots ---------- */

  /** The rows as they are now, as JSON text (see `HISTORY_DUMP_VERSION`). */
  dump(): string {
    return JSON.stringify({
      definitions: dumpRows(this.#definitions.values()),
      elementNames: [...this.#elementNames].map(([key, names]) => [key, [...names]]),
      instances: dumpRows(this.#instances.values()),
      elements: dumpRows(this.#elements.values()),
      flowScopes: [...this.#flowScopes].map(([key, scope]) => [key, scope ?? null]),
      incidents: dumpRows(this.#incidents.values()),
      jobs: dumpRows(this.#jobs.values()),
      variables: dumpRows(this.#variables.values()),
      ended: [...this.#ended],
    });
  }

  /**
   * Replaces the rows with those of a dump (a start from a snapshot) and rebuilds the indexes. Throws when
   * the text is not a dump; the history is then empty.
   */
  load(text: string): void {
    try {
      this.#load(JSON.parse(text) as Record<string, unknown>);
    } catch (error) {
      this.#clear();
      throw new TypeError(`the history dump cannot be read: ${(error as Error).message}`);
    }
  }

  #clear(): void {
    for (const table of [this.#definitions, this.#elementNames, this.#instances, this.#elements, this.#flowScopes, this.#incidents, this.#jobs, this.#variables]) {
      table.clear();
    }
    for (const table of [this.#variableKeys, this.#activeIncidents, this.#owned, this.#ended]) table.clear();
  }

  #load(d: Record<string, unknown>): void {
    this.#clear();
    const share = sharedStrings();
    loadRows(d.definitions as RowsDump, 'processDefinitionKey', this.#definitions, share);
    loadRows(d.instances as RowsDump, 'processInstanceKey', this.#instances, share);
    loadRows(d.elements as RowsDump, 'elementInstanceKey', this.#elements, share);
    loadRows(d.incidents as RowsDump, 'incidentKey', this.#incidents, share);
    loadRows(d.jobs as RowsDump, 'jobKey', this.#jobs, share);
    loadRows(d.variables as RowsDump, 'variableKey', this.#variables, share);
    for (const [key, names] of d.elementNames as [string, [string, string][]][]) this.#elementNames.set(key, new Map(names));
    for (const [key, scope] of d.flowScopes as [string, string | null][]) this.#flowScopes.set(share(key), scope === null ? undefined : share(scope));
    for (const [key, endedAt] of d.ended as [string, number][]) this.#ended.set(key, endedAt);
    // Dumps written before the process instance's own element row was left out still hold one per instance.
    for (const [key, row] of this.#elements) {
      if (row.type === 'PROCESS' || row.type === 'SEQUENCE_FLOW') {
        this.#elements.delete(key);
        this.#flowScopes.delete(key);
      }
    }
    for (const row of this.#elements.values()) this.#own(row.processInstanceKey, row.elementInstanceKey);
    for (const row of this.#jobs.values()) this.#own(row.processInstanceKey, row.jobKey);
    for (const row of this.#variables.values()) {
      this.#own(row.processInstanceKey, row.variableKey);
      this.#variableKeys.set(`${row.scopeKey}\u0000${row.name}`, row.variableKey);
    }
    for (const row of this.#incidents.values()) {
      this.#own(row.processInstanceKey, row.incidentKey);
      if (row.state === 'ACTIVE') this.#activeIncidents.set(row.processInstanceKey, (this.#activeIncidents.get(row.processInstanceKey) ?? 0) + 1);
    }
  }

  /** The history as a section of the data directory's snapshots: dumped with each, loaded and replayed on start. */
  snapshotSection(): SnapshotSection {
    return {
      name: 'history',
      version: HISTORY_DUMP_VERSION,
      dump: () => this.dump(),
      load: (data) => this.load(data),
      replay: (record) => this.project(record),
    };
  }

  #applyEvent(r: EngineRecord): void {
    const v = r.value;
    switch (r.valueType) {
      case 'PROCESS':
        if (r.intent === 'CREATED') this.#processCreated(r);
        else if (r.intent === 'DELETED') {
          // A deleted definition leaves the definitions; its ended instances stay until retention drops them.
          const key = String(v.deletedKey ?? r.key);
          this.#definitions.delete(key);
          this.#elementNames.delete(key);
        }
        return;
      case 'PROCESS_INSTANCE':
        this.#processInstanceEvent(r);
        return;
      case 'INCIDENT':
        if (r.intent === 'CREATED') this.#incidentCreated(r);
        else if (r.intent === 'RESOLVED') this.#incidentResolved(r.key);
        return;
      case 'JOB':
        this.#jobEvent(r);
        return;
      case 'JOB_BATCH':
        if (r.intent === 'ACTIVATED') {
          for (const jobKey of (v.jobKeys as string[] | undefined) ?? []) {
            const job = this.#jobs.get(jobKey);
            if (!job) continue;
            job.worker = String(v.worker ?? '');
            job.deadline = typeof v.deadline === 'number' && v.deadline > 0 ? isoDate(v.deadline) : null;
          }
        }
        return;
      case 'VARIABLE':
        if (r.intent === 'CREATED' || r.intent === 'UPDATED') this.#variableSet(r);
        return;
      default:
        return;
    }
  }

  #processCreated(r: EngineRecord): void {
    const v = r.value as unknown as ProcessCreatedValue;
    const row: ProcessDefinitionRow = {
      processDefinitionKey: r.key,
      processDefinitionId: v.bpmnProcessId,
      resourceName: v.resourceName,
      version: v.version,
      tenantId: TENANT_ID,
      hasStartForm: false,
    };
    if (v.model?.name) row.name = v.model.name;
    this.#definitions.set(r.key, row);
    const names = new Map<string, string>();
    for (const [id, element] of Object.entries(v.model?.elements ?? {})) {
      if (element?.name) names.set(id, element.name);
    }
    this.#elementNames.set(r.key, names);
  }

  /** Files a row's key under its process instance (a list, not Sets per kind: it is most of a waiting instance's rows). */
  #own(processInstanceKey: string, key: string): void {
    const owned = this.#owned.get(processInstanceKey);
    if (owned) owned.push(key);
    else this.#owned.set(processInstanceKey, [key]);
  }

  /**
   * PROCESS_INSTANCE events. The process instance itself gets a process instance row only, never an element
   * instance row, and sequence flows get none: Camunda's exporters write flow node instances for every element
   * but the process (its own row goes to the list view as a process instance), so an element-instance search
   * or get never answers with the process instance key.
   */
  #processInstanceEvent(r: EngineRecord): void {
    const v = r.value as unknown as ElementValue;
    if (r.intent === 'SEQUENCE_FLOW_TAKEN' || v.bpmnElementType === 'SEQUENCE_FLOW') return;
    const isProcess = v.flowScopeKey === undefined || v.flowScopeKey === null || r.key === v.processInstanceKey;
    const state: InstanceState | undefined =
      r.intent === 'ELEMENT_COMPLETED' ? 'COMPLETED' : r.intent === 'ELEMENT_TERMINATED' ? 'TERMINATED' : undefined;
    if (isProcess) {
      this.#processEvent(r, v, state);
      return;
    }
    let element = this.#elements.get(r.key);
    if (!element && r.intent === 'ELEMENT_ACTIVATING') {
      element = {
        elementInstanceKey: r.key,
        processInstanceKey: v.processInstanceKey,
        processDefinitionKey: v.processDefinitionKey,
        processDefinitionId: v.bpmnProcessId,
        elementId: v.elementId,
        elementName: this.#elementNames.get(v.processDefinitionKey)?.get(v.elementId) ?? v.elementId,
        type: v.bpmnElementType ?? 'UNKNOWN',
        state: 'ACTIVE',
        startDate: isoDate(r.timestamp),
        hasIncident: false,
        tenantId: TENANT_ID,
      };
      this.#elements.set(r.key, element);
      this.#flowScopes.set(r.key, v.flowScopeKey);
      this.#own(v.processInstanceKey, r.key);
    }
    if (!element || !state) return;
    element.state = state;
    element.endDate = isoDate(r.timestamp);
  }

  /** The process instance's own events: its row is created when it activates and ends when it completes or terminates. */
  #processEvent(r: EngineRecord, v: ElementValue, state: InstanceState | undefined): void {
    let instance = this.#instances.get(r.key);
    if (!instance && r.intent === 'ELEMENT_ACTIVATING') {
      const definition = this.#definitions.get(v.processDefinitionKey);
      instance = {
        processInstanceKey: r.key,
        processDefinitionKey: v.processDefinitionKey,
        processDefinitionId: v.bpmnProcessId,
        processDefinitionName: definition?.name ?? v.bpmnProcessId,
        processDefinitionVersion: v.version,
        startDate: isoDate(r.timestamp),
        state: 'ACTIVE',
        hasIncident: false,
        tenantId: TENANT_ID,
      };
      if (v.parentProcessInstanceKey && v.parentProcessInstanceKey !== '-1') {
        instance.parentProcessInstanceKey = String(v.parentProcessInstanceKey);
      }
      if (v.parentElementInstanceKey && v.parentElementInstanceKey !== '-1') {
        instance.parentElementInstanceKey = String(v.parentElementInstanceKey);
      }
      this.#instances.set(r.key, instance);
    }
    if (!instance || !state || instance.state !== 'ACTIVE') return;
    instance.state = state;
    instance.endDate = isoDate(r.timestamp);
    this.#ended.delete(r.key);
    this.#ended.set(r.key, r.timestamp);
  }

  #incidentCreated(r: EngineRecord): void {
    const v = r.value as unknown as IncidentValue;
    const row: IncidentRow = {
      incidentKey: r.key,
      processDefinitionKey: v.processDefinitionKey,
      processDefinitionId: v.bpmnProcessId,
      processInstanceKey: v.processInstanceKey,
      errorType: v.errorType,
      errorMessage: v.errorMessage,
      elementId: v.elementId,
      elementInstanceKey: v.elementInstanceKey,
      creationTime: isoDate(r.timestamp),
      state: 'ACTIVE',
      tenantId: TENANT_ID,
    };
    if (v.jobKey) row.jobKey = v.jobKey;
    this.#incidents.set(r.key, row);
    this.#own(v.processInstanceKey, r.key);
    this.#activeIncidents.set(v.processInstanceKey, (this.#activeIncidents.get(v.processInstanceKey) ?? 0) + 1);
    const instance = this.#instances.get(v.processInstanceKey);
    if (instance) instance.hasIncident = true;
    const element = this.#elements.get(v.elementInstanceKey);
    if (element) {
      element.hasIncident = true;
      element.incidentKey = r.key;
    }
  }

  #incidentResolved(key: string): void {
    const row = this.#incidents.get(key);
    if (!row || row.state === 'RESOLVED') return;
    row.state = 'RESOLVED';
    const left = (this.#activeIncidents.get(row.processInstanceKey) ?? 1) - 1;
    if (left > 0) this.#activeIncidents.set(row.processInstanceKey, left);
    else this.#activeIncidents.delete(row.processInstanceKey);
    const instance = this.#instances.get(row.processInstanceKey);
    if (instance) instance.hasIncident = left > 0;
    const element = this.#elements.get(row.elementInstanceKey);
    if (element && element.incidentKey === key) {
      element.hasIncident = false;
      delete element.incidentKey;
    }
  }

  #jobEvent(r: EngineRecord): void {
    const v = r.value as {
      type?: string;
      retries?: number;
      customHeaders?: Record<string, string>;
      elementInstanceKey?: string;
      elementId?: string;
      processInstanceKey?: string;
      processDefinitionKey?: string;
      bpmnProcessId?: string;
      errorMessage?: string;
      errorCode?: string;
      deadline?: number;
    };
    if (r.intent === 'CREATED') {
      const row: JobRow = {
        jobKey: r.key,
        type: String(v.type),
        worker: '',
        state: 'CREATED',
        kind: 'BPMN_ELEMENT',
        listenerEventType: 'UNSPECIFIED',
        retries: Number(v.retries ?? 0),
        isDenied: null,
        deniedReason: null,
        hasFailedWithRetriesLeft: false,
        errorCode: null,
        errorMessage: null,
        customHeaders: { ...(v.customHeaders ?? {}) },
        deadline: null,
        processDefinitionId: String(v.bpmnProcessId),
        processDefinitionKey: String(v.processDefinitionKey),
        processInstanceKey: String(v.processInstanceKey),
        elementId: String(v.elementId),
        elementInstanceKey: String(v.elementInstanceKey),
        tenantId: TENANT_ID,
      };
      this.#jobs.set(r.key, row);
      this.#own(row.processInstanceKey, r.key);
      return;
    }
    const job = this.#jobs.get(r.key);
    if (!job) return;
    switch (r.intent) {
      case 'COMPLETED':
        job.state = 'COMPLETED';
        job.endTime = isoDate(r.timestamp);
        job.hasFailedWithRetriesLeft = false;
        return;
      case 'CANCELED':
        job.state = 'CANCELED';
        job.endTime = isoDate(r.timestamp);
        return;
      case 'FAILED':
        job.state = 'FAILED';
        job.retries = Number(v.retries ?? 0);
        job.errorMessage = v.errorMessage ?? '';
        job.hasFailedWithRetriesLeft = job.retries > 0;
        job.deadline = null;
        return;
      case 'ERROR_THROWN':
        job.state = 'ERROR_THROWN';
        job.errorCode = v.errorCode ?? '';
        job.errorMessage = v.errorMessage ?? '';
        job.deadline = null;
        return;
      case 'TIMED_OUT':
        job.state = 'TIMED_OUT';
        job.deadline = null;
        return;
      case 'RETRIES_UPDATED':
        job.state = 'RETRIES_UPDATED';
        job.retries = Number(v.retries ?? job.retries);
        return;
      case 'TIMEOUT_UPDATED':
        if (typeof v.deadline === 'number') job.deadline = isoDate(v.deadline);
        return;
      case 'YIELDED':
        job.deadline = null;
        return;
      default:
        return;
    }
  }

  #variableSet(r: EngineRecord): void {
    const v = r.value as unknown as VariableValue;
    const id = `${v.scopeKey}\u0000${v.name}`;
    const text = JSON.stringify(v.value ?? null);
    const existing = this.#variableKeys.get(id);
    const row = existing ? this.#variables.get(existing) : undefined;
    if (row) {
      row.value = text;
      return;
    }
    this.#variableKeys.set(id, r.key);
    this.#variables.set(r.key, {
      variableKey: r.key,
      name: v.name,
      value: text,
      scopeKey: v.scopeKey,
      processInstanceKey: v.processInstanceKey,
      tenantId: TENANT_ID,
    });
    this.#own(v.processInstanceKey, r.key);
  }

  /* ---------- retention ---------- */

  /**
   * Drops ended process instances past retention (by the engine clock) or beyond the count limit, with
   * everything they own. Runs after each batch and before each read.
   */
  prune(now = this.#clock.now()): void {
    const cutoff = now - this.#retentionMs;
    for (const [key, endedAt] of this.#ended) {
      if (this.#ended.size <= this.#maxEnded && endedAt >= cutoff) break;
      this.#drop(key);
    }
  }

  #drop(processInstanceKey: string): void {
    this.#ended.delete(processInstanceKey);
    this.#instances.delete(processInstanceKey);
    this.#activeIncidents.delete(processInstanceKey);
    const owned = this.#owned.get(processInstanceKey);
    this.#owned.delete(processInstanceKey);
    if (!owned) return;
    for (const key of owned) {
      this.#elements.delete(key);
      this.#flowScopes.delete(key);
      const variable = this.#variables.get(key);
      if (variable) this.#variableKeys.delete(`${variable.scopeKey}\u0000${variable.name}`);
      this.#variables.delete(key);
      this.#incidents.delete(key);
      this.#jobs.delete(key);
    }
  }

  /* ---------- reads ---------- */

  processDefinitions(): IterableIterator<ProcessDefinitionRow> {
    return this.#definitions.values();
  }
  processDefinition(key: string): ProcessDefinitionRow | undefined {
    return this.#definitions.get(key);
  }
  processInstances(): IterableIterator<ProcessInstanceRow> {
    this.prune();
    return this.#instances.values();
  }
  processInstance(key: string): ProcessInstanceRow | undefined {
    this.prune();
    return this.#instances.get(key);
  }
  elementInstances(): IterableIterator<ElementInstanceRow> {
    this.prune();
    return this.#elements.values();
  }
  elementInstance(key: string): ElementInstanceRow | undefined {
    this.prune();
    return this.#elements.get(key);
  }
  /** The flow scope of an element instance (undefined for an unknown key, a process instance's included). */
  flowScopeOf(elementInstanceKey: string): string | undefined {
    return this.#flowScopes.get(elementInstanceKey);
  }
  incidents(): IterableIterator<IncidentRow> {
    this.prune();
    return this.#incidents.values();
  }
  incident(key: string): IncidentRow | undefined {
    this.prune();
    return this.#incidents.get(key);
  }
  jobs(): IterableIterator<JobRow> {
    this.prune();
    return this.#jobs.values();
  }
  job(key: string): JobRow | undefined {
    this.prune();
    return this.#jobs.get(key);
  }
  variables(): IterableIterator<VariableRow> {
    this.prune();
    return this.#variables.values();
  }
  variable(key: string): VariableRow | undefined {
    this.prune();
    return this.#variables.get(key);
  }
  /** Variables of one process instance (all scopes). */
  variablesOf(processInstanceKey: string): VariableRow[] {
    return this.#ownedRows(processInstanceKey, this.#variables);
  }

  /** Element instances of one process instance (its flow nodes; the process instance itself is none). */
  elementsOf(processInstanceKey: string): ElementInstanceRow[] {
    return this.#ownedRows(processInstanceKey, this.#elements);
  }
  /** Incidents of one process instance, active and resolved. */
  incidentsOf(processInstanceKey: string): IncidentRow[] {
    return this.#ownedRows(processInstanceKey, this.#incidents);
  }
  /** Jobs of one process instance. */
  jobsOf(processInstanceKey: string): JobRow[] {
    return this.#ownedRows(processInstanceKey, this.#jobs);
  }

  /** The rows of `table` that the process instance owns, in the order they were filed, each once. */
  #ownedRows<Row>(processInstanceKey: string, table: Map<string, Row>): Row[] {
    const keys = this.#owned.get(processInstanceKey);
    if (!keys) return [];
    const rows = new Set<Row>();
    for (const key of keys) {
      const row = table.get(key);
      if (row) rows.add(row);
    }
    return [...rows];
  }

  /** Row counts, for tests and monitoring. */
  sizes(): Record<'processDefinitions' | 'processInstances' | 'endedInstances' | 'elementInstances' | 'incidents' | 'jobs' | 'variables', number> {
    return {
      processDefinitions: this.#definitions.size,
      processInstances: this.#instances.size,
      endedInstances: this.#ended.size,
      elementInstances: this.#elements.size,
      incidents: this.#incidents.size,
      jobs: this.#jobs.size,
      variables: this.#variables.size,
    };
  }
}
