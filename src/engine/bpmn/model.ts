/**
 * The executable process model: what the engine runs, compiled once at deployment from BPMN XML.
 *
 * The model is plain data (JSON-serialisable), so a deployment event can carry it and a replay of the log
 * rebuilds exactly the same definitions without parsing again.
 */

export type ElementKind =
  | 'process'
  | 'startEvent'
  | 'endEvent'
  | 'serviceTask'
  | 'sendTask'
  | 'scriptTask'
  | 'businessRuleTask'
  | 'receiveTask'
  | 'task'
  | 'manualTask'
  | 'exclusiveGateway'
  | 'parallelGateway'
  | 'intermediateCatchEvent'
  | 'intermediateThrowEvent'
  | 'boundaryEvent'
  | 'subProcess'
  | 'eventSubProcess'
  | 'callActivity'
  | 'inclusiveGateway'
  | 'eventBasedGateway';

/** Zeebe's `bpmnElementType` names, as records and Operate show them. */
export const BPMN_ELEMENT_TYPE: Record<ElementKind, string> = {
  process: 'PROCESS',
  startEvent: 'START_EVENT',
  endEvent: 'END_EVENT',
  serviceTask: 'SERVICE_TASK',
  sendTask: 'SEND_TASK',
  scriptTask: 'SCRIPT_TASK',
  businessRuleTask: 'BUSINESS_RULE_TASK',
  receiveTask: 'RECEIVE_TASK',
  task: 'TASK',
  manualTask: 'MANUAL_TASK',
  exclusiveGateway: 'EXCLUSIVE_GATEWAY',
  parallelGateway: 'PARALLEL_GATEWAY',
  intermediateCatchEvent: 'INTERMEDIATE_CATCH_EVENT',
  intermediateThrowEvent: 'INTERMEDIATE_THROW_EVENT',
  boundaryEvent: 'BOUNDARY_EVENT',
  subProcess: 'SUB_PROCESS',
  eventSubProcess: 'EVENT_SUB_PROCESS',
  callActivity: 'CALL_ACTIVITY',
  inclusiveGateway: 'INCLUSIVE_GATEWAY',
  eventBasedGateway: 'EVENT_BASED_GATEWAY',
};

/** The bpmnElementType of a multi-instance body (it wraps the activity's inner instances). */
export const MULTI_INSTANCE_BODY = 'MULTI_INSTANCE_BODY';

/** Kinds that contain flow nodes of their own. */
export const SCOPE_KINDS = new Set<ElementKind>(['subProcess', 'eventSubProcess']);

export type EventKind = 'none' | 'message' | 'error' | 'terminate' | 'timer' | 'signal';

/** A `zeebe:input` / `zeebe:output`: `source` is FEEL (leading '=' stripped), `target` a variable path. */
export interface Mapping {
  source: string;
  target: string;
}

export interface JobDefinition {
  /** Static job type, or FEEL when `typeIsExpression`. */
  type: string;
  typeIsExpression: boolean;
  /** Static retries ("3"), or FEEL when `retriesIsExpression`. */
  retries: string;
  retriesIsExpression: boolean;
  headers: Record<string, string>;
}

export interface MessageDefinition {
  name: string;
  nameIsExpression: boolean;
  /** FEEL expression (always an expression in Zeebe; a static value is a literal). */
  correlationKey: string | undefined;
  correlationKeyIsExpression: boolean;
}

export interface TimerDefinition {
  type: 'date' | 'duration' | 'cycle';
  /** The ISO text, or FEEL (without '=') when `isExpression`. */
  expression: string;
  isExpression: boolean;
}

export interface SignalDefinition {
  name: string;
  nameIsExpression: boolean;
}

export interface MultiInstanceDefinition {
  sequential: boolean;
  /** FEEL giving the list to iterate. */
  inputCollection: string;
  /** The variable each inner instance gets its item in. */
  inputElement: string | undefined;
  /** The variable of the body collecting the results, merged out when the body completes. */
  outputCollection: string | undefined;
  /** FEEL evaluated in each inner instance when it completes. */
  outputElement: string | undefined;
  /** FEEL; when true after an inner instance completed, the body completes. */
  completionCondition: string | undefined;
}

export interface CalledElement {
  /** Static process id, or FEEL when `processIdIsExpression`. */
  processId: string;
  processIdIsExpression: boolean;
  propagateAllChildVariables: boolean;
  propagateAllParentVariables: boolean;
}

export interface FlowNode {
  id: string;
  name: string | undefined;
  kind: ElementKind;
  event: EventKind;
  /** Ids of the outgoing sequence flows, in model order. */
  outgoing: string[];
  /** Ids of the incoming sequence flows. */
  incoming: string[];
  inputs: Mapping[];
  outputs: Mapping[];
  job?: JobDefinition;
  script?: { expression: string; resultVariable: string };
  message?: MessageDefinition;
  /** Error end events: the thrown code. Error boundary events: the caught code, or undefined for catch-all. */
  errorCode?: string | undefined;
  /** Boundary events: the activity they are attached to. */
  attachedTo?: string;
  /** Activities: ids of the boundary events attached to them. */
  boundaries: string[];
  /** Exclusive and inclusive gateways: the default flow id. */
  defaultFlow?: string;
  /** The subprocess (or event subprocess) this node is in; undefined at process level. */
  scope?: string | undefined;
  /** Boundary events: cancelActivity. Event subprocess start events: isInterrupting. */
  interrupting?: boolean;
  timer?: TimerDefinition;
  signal?: SignalDefinition;
  multiInstance?: MultiInstanceDefinition;
  calledElement?: CalledElement;
  /** Business rule tasks with `zeebe:calledDecision`. */
  calledDecision?: { decisionId: string; decisionIdIsExpression: boolean; resultVariable: string };
  /** Subprocesses: their none start event. Event subprocesses: their start event. */
  startEvent?: string;
  /** Scopes (subprocesses and, in the model, the process): their event subprocesses. */
  eventSubprocesses?: string[];
}

export interface SequenceFlow {
  id: string;
  source: string;
  target: string;
  /** FEEL condition without the leading '='. */
  condition?: string;
}

export interface ProcessModel {
  bpmnProcessId: string;
  name: string | undefined;
  elements: Record<string, FlowNode>;
  flows: Record<string, SequenceFlow>;
  /** The none start event, when there is one. */
  noneStartEvent: string | undefined;
  /** Message start events with their (static) message names. */
  messageStartEvents: { elementId: string; messageName: string }[];
  /** Timer start events (at process level). */
  timerStartEvents: { elementId: string; timer: TimerDefinition }[];
  /** Signal start events with their (static) signal names. */
  signalStartEvents: { elementId: string; signalName: string }[];
  /** Event subprocesses at process level. */
  eventSubprocesses: string[];
}

export function elementOf(model: ProcessModel, id: string): FlowNode {
  const node = model.elements[id];
  if (!node) throw new Error(`element '${id}' not found in process '${model.bpmnProcessId}'`);
  return node;
}

export function flowOf(model: ProcessModel, id: string): SequenceFlow {
  const flow = model.flows[id];
  if (!flow) throw new Error(`sequence flow '${id}' not found in process '${model.bpmnProcessId}'`);
  return flow;
}

/** A flow node with no behaviour configured yet; the parser fills in the rest. */
export function emptyNode(id: string, name: string | undefined, kind: ElementKind): FlowNode {
  return { id, name, kind, event: 'none', outgoing: [], incoming: [], inputs: [], outputs: [], boundaries: [] };
}

/** The ids of the event subprocesses of a scope: a subprocess node, or the process (no node). */
export function eventSubprocessesOf(model: ProcessModel, scopeNode: FlowNode | undefined): string[] {
  return scopeNode && scopeNode.kind !== 'process' ? (scopeNode.eventSubprocesses ?? []) : model.eventSubprocesses;
}
