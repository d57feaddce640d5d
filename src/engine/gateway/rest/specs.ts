/**
 * The searchable entities of the REST API v2 with Camunda 8.8's filter fields (plain or advanced, per the
 * 8.8 API) and sort fields. Filters 8.8 has that forager's engine cannot answer are marked unsupported, so
 * they are refused rather than ignored.
 */
import type {
  ElementInstanceRow,
  History,
  IncidentRow,
  JobRow,
  ProcessDefinitionRow,
  ProcessInstanceRow,
  VariableRow,
} from '../../history/history.ts';
import { isObject, onlyKnown, optString, type Json } from './input.ts';
import { unparsable } from './problem.ts';
import { filterPredicate, type FilterField, type FilterSpec, type SearchSpec } from './search.ts';

/** Longer variable values are truncated in search results (Camunda's default threshold). */
export const VARIABLE_TRUNCATE_AT = 8191;

const STATES = ['ACTIVE', 'COMPLETED', 'TERMINATED'] as const;
const ELEMENT_TYPES = [
  'UNSPECIFIED', 'PROCESS', 'SUB_PROCESS', 'EVENT_SUB_PROCESS', 'AD_HOC_SUB_PROCESS', 'AD_HOC_SUB_PROCESS_INNER_INSTANCE',
  'START_EVENT', 'INTERMEDIATE_CATCH_EVENT', 'INTERMEDIATE_THROW_EVENT', 'BOUNDARY_EVENT', 'END_EVENT', 'SERVICE_TASK',
  'RECEIVE_TASK', 'USER_TASK', 'MANUAL_TASK', 'TASK', 'EXCLUSIVE_GATEWAY', 'INCLUSIVE_GATEWAY', 'PARALLEL_GATEWAY',
  'EVENT_BASED_GATEWAY', 'SEQUENCE_FLOW', 'MULTI_INSTANCE_BODY', 'CALL_ACTIVITY', 'BUSINESS_RULE_TASK', 'SCRIPT_TASK',
  'SEND_TASK', 'UNKNOWN',
] as const;
const ERROR_TYPES = [
  'UNSPECIFIED', 'UNKNOWN', 'IO_MAPPING_ERROR', 'JOB_NO_RETRIES', 'EXECUTION_LISTENER_NO_RETRIES', 'TASK_LISTENER_NO_RETRIES',
  'AD_HOC_SUB_PROCESS_NO_RETRIES', 'CONDITION_ERROR', 'EXTRACT_VALUE_ERROR', 'CALLED_ELEMENT_ERROR', 'UNHANDLED_ERROR_EVENT',
  'MESSAGE_SIZE_EXCEEDED', 'CALLED_DECISION_ERROR', 'DECISION_EVALUATION_ERROR', 'FORM_NOT_FOUND', 'RESOURCE_NOT_FOUND',
] as const;
const JOB_STATES = ['CANCELED', 'COMPLETED', 'CREATED', 'ERROR_THROWN', 'FAILED', 'MIGRATED', 'RETRIES_UPDATED', 'TIMED_OUT'] as const;
const JOB_KINDS = ['BPMN_ELEMENT', 'EXECUTION_LISTENER', 'TASK_LISTENER', 'AD_HOC_SUB_PROCESS'] as const;
const LISTENER_EVENT_TYPES = ['ASSIGNING', 'CANCELING', 'COMPLETING', 'CREATING', 'END', 'START', 'UNSPECIFIED', 'UPDATING'] as const;

const plainKey = { kind: 'key', ops: 'plain' } as const;
const key = { kind: 'key', ops: 'basic' } as const;
const plainString = { kind: 'string', ops: 'plain' } as const;
const string = { kind: 'string', ops: 'string' } as const;
const plainInt = { kind: 'int', ops: 'plain' } as const;
const int = { kind: 'int', ops: 'range' } as const;
const date = { kind: 'date', ops: 'range' } as const;
const bool = { kind: 'bool', ops: 'plain' } as const;
const unsupported = { unsupported: true } as const;
const stateEnum = { kind: 'enum', ops: 'enum', values: STATES } as const;

export function PROCESS_DEFINITION_SEARCH(history: History): SearchSpec<ProcessDefinitionRow> {
  return {
    key: 'processDefinitionKey',
    filter: {
      name: string,
      isLatestVersion: {
        custom: (value, path) => {
          if (typeof value !== 'boolean') throw unparsable(path);
          if (!value) return () => true;
          const latest = new Map<string, number>();
          for (const row of history.processDefinitions()) {
            latest.set(row.processDefinitionId, Math.max(latest.get(row.processDefinitionId) ?? 0, row.version));
          }
          return (row) => latest.get(row.processDefinitionId) === row.version;
        },
      },
      resourceName: plainString,
      version: plainInt,
      versionTag: plainString,
      processDefinitionId: string,
      tenantId: plainString,
      processDefinitionKey: plainKey,
      hasStartForm: bool,
    },
    sort: ['processDefinitionKey', 'name', 'resourceName', 'version', 'versionTag', 'processDefinitionId', 'tenantId'],
  };
}

export function processInstanceSearch(history: History): SearchSpec<ProcessInstanceRow> {
  const fields: Record<string, FilterSpec<ProcessInstanceRow>> = {
    startDate: date,
    endDate: date,
    state: stateEnum,
    hasIncident: bool,
    tenantId: string,
    variables: {
      custom: (value, path) => {
        if (!Array.isArray(value)) throw unparsable(path);
        const conditions = value.map((item, i) => {
          if (!isObject(item)) throw unparsable(`${path}[${i}]`);
          onlyKnown(item, ['name', 'value'], `${path}[${i}]`);
          const name = optString(item, 'name', `${path}[${i}]`);
          if (name === undefined) throw unparsable(`${path}[${i}].name`);
          const matchValue = item.value === undefined || item.value === null
            ? () => true
            : valueMatcher(item.value, `${path}[${i}].value`);
          return { name, matchValue };
        });
        return (row) => {
          const vars = history.variablesOf(row.processInstanceKey);
          return conditions.every((c) => vars.some((v) => v.name === c.name && matchValueOf(c.matchValue, v)));
        };
      },
    },
    processInstanceKey: key,
    parentProcessInstanceKey: key,
    parentElementInstanceKey: key,
    batchOperationId: unsupported,
    errorMessage: {
      // The message of an active incident of the instance.
      custom: (value, path) => {
        const match = filterPredicate<IncidentRow>(INCIDENT_MESSAGE, { errorMessage: value }, path.replace(/\.errorMessage$/, ''));
        return (row) => history.incidentsOf(row.processInstanceKey).some((i) => i.state === 'ACTIVE' && match(i));
      },
    },
    hasRetriesLeft: {
      custom: (value, path) => {
        if (typeof value !== 'boolean') throw unparsable(path);
        return (row) => history.jobsOf(row.processInstanceKey).some((j) => j.hasFailedWithRetriesLeft) === value;
      },
    },
    // Matched together by the `groups` entry below: one element instance with this id, state and incident flag.
    elementInstanceState: { kind: 'enum', ops: 'enum', values: STATES },
    elementId: string,
    hasElementInstanceIncident: bool,
    incidentErrorHashCode: unsupported,
    tags: unsupported,
    processDefinitionId: string,
    processDefinitionName: string,
    processDefinitionVersion: int,
    processDefinitionVersionTag: string,
    processDefinitionKey: key,
  };
  const spec: SearchSpec<ProcessInstanceRow> = {
    key: 'processInstanceKey',
    filter: fields,
    groups: [
      {
        fields: ['elementId', 'elementInstanceState', 'hasElementInstanceIncident'],
        predicate: (values, path) => {
          const match = filterPredicate<ElementInstanceRow>(ELEMENT_OF_INSTANCE, values, path);
          return (row) => history.elementsOf(row.processInstanceKey).some(match);
        },
      },
    ],
    sort: [
      'processInstanceKey', 'processDefinitionId', 'processDefinitionName', 'processDefinitionVersion',
      'processDefinitionVersionTag', 'processDefinitionKey', 'parentProcessInstanceKey', 'parentElementInstanceKey',
      'startDate', 'endDate', 'state', 'hasIncident', 'tenantId',
    ],
  };
  // `$or`: alternative groups of the same fields; the row matches if any group does.
  fields.$or = {
    custom: (value, path) => {
      if (!Array.isArray(value)) throw unparsable(path);
      const groupSpec: SearchSpec<ProcessInstanceRow> = { ...spec, filter: { ...fields } };
      delete groupSpec.filter.$or;
      const groups = value.map((group, i) => {
        if (!isObject(group)) throw unparsable(`${path}[${i}]`);
        return filterPredicate(groupSpec, group, `${path}[${i}]`);
      });
      return (row) => groups.length === 0 || groups.some((g) => g(row));
    },
  };
  return spec;
}

const INCIDENT_MESSAGE: SearchSpec<IncidentRow> = { key: 'incidentKey', filter: { errorMessage: string }, sort: [] };

const ELEMENT_OF_INSTANCE: SearchSpec<ElementInstanceRow> = {
  key: 'elementInstanceKey',
  filter: {
    elementId: string,
    elementInstanceState: { kind: 'enum', ops: 'enum', values: STATES, get: (row) => row.state },
    hasElementInstanceIncident: { ...bool, get: (row) => row.hasIncident },
  },
  sort: [],
};

/** A variable value condition (a StringFilterProperty over the value's JSON text). */
function valueMatcher(value: Json, path: string): (row: VariableRow) => boolean {
  const field: FilterField<VariableRow> = { ...string, get: (row) => row.value };
  return filterPredicate<VariableRow>({ key: 'variableKey', filter: { value: field }, sort: [] }, { value }, path.replace(/\.value$/, ''));
}

function matchValueOf(match: (row: VariableRow) => boolean, row: VariableRow): boolean {
  return match(row);
}

export function ELEMENT_INSTANCE_SEARCH(history: History): SearchSpec<ElementInstanceRow> {
  return {
    key: 'elementInstanceKey',
    filter: {
      processDefinitionId: plainString,
      state: stateEnum,
      type: { kind: 'enum', ops: 'plain', values: ELEMENT_TYPES },
      elementId: plainString,
      elementName: plainString,
      hasIncident: bool,
      tenantId: plainString,
      elementInstanceKey: plainKey,
      processInstanceKey: plainKey,
      processDefinitionKey: plainKey,
      incidentKey: plainKey,
      startDate: date,
      endDate: date,
      elementInstanceScopeKey: {
        custom: (value, path) => {
          if (typeof value !== 'string' && typeof value !== 'number') throw unparsable(path);
          const scope = String(value);
          // A process instance's key: its direct children; an element instance's key: its direct children.
          return (row) => history.flowScopeOf(row.elementInstanceKey) === scope;
        },
      },
    },
    sort: [
      'elementInstanceKey', 'processInstanceKey', 'processDefinitionKey', 'processDefinitionId', 'startDate', 'endDate',
      'elementId', 'elementName', 'type', 'state', 'incidentKey', 'tenantId',
    ],
  };
}

export const INCIDENT_SEARCH: SearchSpec<IncidentRow> = {
  key: 'incidentKey',
  filter: {
    processDefinitionId: plainString,
    errorType: { kind: 'enum', ops: 'plain', values: ERROR_TYPES },
    errorMessage: plainString,
    elementId: plainString,
    creationTime: date,
    state: { kind: 'enum', ops: 'plain', values: ['ACTIVE', 'MIGRATED', 'RESOLVED', 'PENDING'] },
    tenantId: plainString,
    incidentKey: plainKey,
    processDefinitionKey: plainKey,
    processInstanceKey: plainKey,
    elementInstanceKey: plainKey,
    jobKey: plainKey,
  },
  sort: [
    'incidentKey', 'processDefinitionKey', 'processDefinitionId', 'processInstanceKey', 'errorType', 'errorMessage',
    'elementId', 'elementInstanceKey', 'creationTime', 'state', 'jobKey', 'tenantId',
  ],
};

export const JOB_SEARCH: SearchSpec<JobRow> = {
  key: 'jobKey',
  filter: {
    deadline: date,
    deniedReason: string,
    elementId: string,
    elementInstanceKey: key,
    endTime: date,
    errorCode: string,
    errorMessage: string,
    hasFailedWithRetriesLeft: bool,
    isDenied: bool,
    jobKey: key,
    kind: { kind: 'enum', ops: 'enum', values: JOB_KINDS },
    listenerEventType: { kind: 'enum', ops: 'enum', values: LISTENER_EVENT_TYPES },
    processDefinitionId: string,
    processDefinitionKey: key,
    processInstanceKey: key,
    retries: int,
    state: { kind: 'enum', ops: 'enum', values: JOB_STATES },
    tenantId: string,
    type: string,
    worker: string,
  },
  sort: [
    'deadline', 'deniedReason', 'elementId', 'elementInstanceKey', 'endTime', 'errorCode', 'errorMessage', 'isDenied',
    'jobKey', 'kind', 'listenerEventType', 'processDefinitionId', 'processDefinitionKey', 'processInstanceKey', 'retries',
    'state', 'tenantId', 'type', 'worker',
  ],
};

export const VARIABLE_SEARCH: SearchSpec<VariableRow> = {
  key: 'variableKey',
  filter: {
    name: string,
    value: string,
    tenantId: plainString,
    isTruncated: {
      custom: (value, path) => {
        if (typeof value !== 'boolean') throw unparsable(path);
        return (row) => (row.value.length > VARIABLE_TRUNCATE_AT) === value;
      },
    },
    variableKey: key,
    scopeKey: key,
    processInstanceKey: key,
  },
  sort: ['value', 'name', 'tenantId', 'variableKey', 'scopeKey', 'processInstanceKey'],
};
