/**
 * A tiny BPMN XML builder for contract tests: real BPMN 2.0 with Zeebe's extension namespace, no diagram
 * interchange (the engine, like Zeebe, does not need it). Each helper returns an XML fragment; `bpmnXml`
 * wraps a process and its root elements (messages, errors) into a definitions document.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface ProcessOptions {
  /** Root elements next to the process: `message(...)`, `error(...)`. */
  roots?: string[];
  executable?: boolean;
}

export function bpmnXml(processId: string, body: string[], options: ProcessOptions = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                  id="Definitions_${esc(processId)}"
                  targetNamespace="http://bpmn.io/schema/bpmn">
${(options.roots ?? []).map((r) => `  ${r}`).join('\n')}
  <bpmn:process id="${esc(processId)}" isExecutable="${options.executable ?? true}">
${body.map((e) => `    ${e}`).join('\n')}
  </bpmn:process>
</bpmn:definitions>
`;
}

export interface TaskOptions {
  retries?: number | string;
  headers?: Record<string, string>;
  /** zeebe:input source → target (sources are FEEL, e.g. '=order.id'). */
  inputs?: [source: string, target: string][];
  outputs?: [source: string, target: string][];
  name?: string;
}

function ioMapping(options: TaskOptions): string {
  const inputs = (options.inputs ?? []).map(([s, t]) => `<zeebe:input source="${esc(s)}" target="${esc(t)}" />`);
  const outputs = (options.outputs ?? []).map(([s, t]) => `<zeebe:output source="${esc(s)}" target="${esc(t)}" />`);
  if (inputs.length + outputs.length === 0) return '';
  return `<zeebe:ioMapping>${[...inputs, ...outputs].join('')}</zeebe:ioMapping>`;
}

export function serviceTask(id: string, jobType: string, options: TaskOptions = {}): string {
  const retries = options.retries === undefined ? '' : ` retries="${esc(String(options.retries))}"`;
  const headers = options.headers
    ? `<zeebe:taskHeaders>${Object.entries(options.headers)
        .map(([k, v]) => `<zeebe:header key="${esc(k)}" value="${esc(v)}" />`)
        .join('')}</zeebe:taskHeaders>`
    : '';
  const name = options.name ? ` name="${esc(options.name)}"` : '';
  return `<bpmn:serviceTask id="${esc(id)}"${name}><bpmn:extensionElements><zeebe:taskDefinition type="${esc(jobType)}"${retries} />${headers}${ioMapping(options)}</bpmn:extensionElements></bpmn:serviceTask>`;
}

export function startEvent(id = 'start'): string {
  return `<bpmn:startEvent id="${esc(id)}" />`;
}

export function messageStartEvent(id: string, messageRef: string): string {
  return `<bpmn:startEvent id="${esc(id)}"><bpmn:messageEventDefinition id="${esc(id)}_def" messageRef="${esc(messageRef)}" /></bpmn:startEvent>`;
}

export function endEvent(id = 'end'): string {
  return `<bpmn:endEvent id="${esc(id)}" />`;
}

export function messageCatchEvent(id: string, messageRef: string): string {
  return `<bpmn:intermediateCatchEvent id="${esc(id)}"><bpmn:messageEventDefinition id="${esc(id)}_def" messageRef="${esc(messageRef)}" /></bpmn:intermediateCatchEvent>`;
}

export function receiveTask(id: string, messageRef: string): string {
  return `<bpmn:receiveTask id="${esc(id)}" messageRef="${esc(messageRef)}" />`;
}

export function exclusiveGateway(id: string, defaultFlow?: string): string {
  return `<bpmn:exclusiveGateway id="${esc(id)}"${defaultFlow ? ` default="${esc(defaultFlow)}"` : ''} />`;
}

export function parallelGateway(id: string): string {
  return `<bpmn:parallelGateway id="${esc(id)}" />`;
}

/** An interrupting error boundary event; without `errorRef` it catches every error. */
export function errorBoundaryEvent(id: string, attachedTo: string, errorRef?: string): string {
  const ref = errorRef ? ` errorRef="${esc(errorRef)}"` : '';
  return `<bpmn:boundaryEvent id="${esc(id)}" attachedToRef="${esc(attachedTo)}"><bpmn:errorEventDefinition id="${esc(id)}_def"${ref} /></bpmn:boundaryEvent>`;
}

export function userTask(id: string): string {
  return `<bpmn:userTask id="${esc(id)}"><bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements></bpmn:userTask>`;
}

export function timerCatchEvent(id: string, duration = 'PT1M'): string {
  return `<bpmn:intermediateCatchEvent id="${esc(id)}"><bpmn:timerEventDefinition id="${esc(id)}_def"><bpmn:timeDuration>${esc(duration)}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>`;
}

export function flow(id: string, source: string, target: string, condition?: string): string {
  if (condition === undefined) return `<bpmn:sequenceFlow id="${esc(id)}" sourceRef="${esc(source)}" targetRef="${esc(target)}" />`;
  return `<bpmn:sequenceFlow id="${esc(id)}" sourceRef="${esc(source)}" targetRef="${esc(target)}"><bpmn:conditionExpression>${esc(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>`;
}

/** An embedded subprocess with the given body (its own start event, flows, …); `extra` goes into its tag. */
export function subProcess(id: string, body: string[], extra = ''): string {
  return `<bpmn:subProcess id="${esc(id)}"${extra}>${body.join('')}</bpmn:subProcess>`;
}

/** Sequence flows joining the given element ids in order: f1 a→b, f2 b→c, … */
export function chain(...ids: string[]): string[] {
  const flows: string[] = [];
  for (let i = 0; i + 1 < ids.length; i++) flows.push(flow(`chain_${ids[i]}_${ids[i + 1]}`, ids[i]!, ids[i + 1]!));
  return flows;
}

/** A `bpmn:message`; `correlationKey` is the zeebe:subscription expression (e.g. '=orderId'). */
export function message(id: string, name: string, correlationKey?: string): string {
  const sub = correlationKey === undefined ? '' : `<bpmn:extensionElements><zeebe:subscription correlationKey="${esc(correlationKey)}" /></bpmn:extensionElements>`;
  return `<bpmn:message id="${esc(id)}" name="${esc(name)}">${sub}</bpmn:message>`;
}

export function error(id: string, errorCode: string): string {
  return `<bpmn:error id="${esc(id)}" name="${esc(errorCode)}" errorCode="${esc(errorCode)}" />`;
}

/* ---------- fragments for events and scopes (given as XML, not escaped) ---------- */

export const timerDef = (kind: 'timeDuration' | 'timeDate' | 'timeCycle', value: string) =>
  `<bpmn:timerEventDefinition><bpmn:${kind}>${value}</bpmn:${kind}></bpmn:timerEventDefinition>`;
export const signalDef = (ref: string) => `<bpmn:signalEventDefinition signalRef="${ref}" />`;
export const messageDef = (ref: string) => `<bpmn:messageEventDefinition messageRef="${ref}" />`;
export const signal = (id: string, name: string) => `<bpmn:signal id="${id}" name="${name}" />`;
export const boundary = (id: string, attachedTo: string, definition: string, interrupting = true) =>
  `<bpmn:boundaryEvent id="${id}" attachedToRef="${attachedTo}" cancelActivity="${interrupting}">${definition}</bpmn:boundaryEvent>`;
export const eventSubProcess = (id: string, body: string[]) => `<bpmn:subProcess id="${id}" triggeredByEvent="true">${body.join('')}</bpmn:subProcess>`;
export const terminateEnd = (id: string) => `<bpmn:endEvent id="${id}"><bpmn:terminateEventDefinition /></bpmn:endEvent>`;
/** `attrs`: more attributes of `zeebe:calledElement`, e.g. ` propagateAllChildVariables="false"`. */
export const callActivity = (id: string, processId: string, attrs = '') =>
  `<bpmn:callActivity id="${id}"><bpmn:extensionElements><zeebe:calledElement processId="${processId}"${attrs} /></bpmn:extensionElements></bpmn:callActivity>`;

/* ---------- the shapes most tests use ---------- */

/** start → one service task → end. */
export function oneTaskProcess(processId: string, jobType: string, options: TaskOptions = {}): string {
  return bpmnXml(processId, [startEvent(), serviceTask('task', jobType, options), endEvent(), ...chain('start', 'task', 'end')]);
}

/** start → end: completes as soon as it is created. */
export function emptyProcess(processId: string): string {
  return bpmnXml(processId, [startEvent(), endEvent(), ...chain('start', 'end')]);
}
