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
  | 'boundaryEvent';

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
};

export type EventKind = 'none' | 'message' | 'error' | 'terminate';

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
  /** Exclusive gateways: the default flow id. */
  defaultFlow?: string;
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
