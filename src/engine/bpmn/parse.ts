/**
 * BPMN XML → executable {@link ProcessModel}s, with validation.
 *
 * Parsing uses `bpmn-moddle` with Zeebe's extension schema. Everything the engine does not execute is a
 * validation error naming the element id and kind: the engine never accepts an element and then ignores it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';
import { checkFeelSyntax, isExpression, stripExpression } from '../feel/index.ts';
import { emptyNode, type ElementKind, type FlowNode, type Mapping, type ProcessModel, type SequenceFlow } from './model.ts';

const require = createRequire(import.meta.url);
const zeebeSchema: unknown = JSON.parse(
  readFileSync(require.resolve('zeebe-bpmn-moddle/resources/zeebe.json'), 'utf8'),
);

/* eslint-disable @typescript-eslint/no-explicit-any -- moddle's element tree is untyped */
type Moddle = any;

export type ParseResult = { ok: true; processes: ProcessModel[] } | { ok: false; errors: string[] };

const FLOW_NODE_KINDS: Record<string, ElementKind> = {
  'bpmn:StartEvent': 'startEvent',
  'bpmn:EndEvent': 'endEvent',
  'bpmn:ServiceTask': 'serviceTask',
  'bpmn:SendTask': 'sendTask',
  'bpmn:ScriptTask': 'scriptTask',
  'bpmn:BusinessRuleTask': 'businessRuleTask',
  'bpmn:ReceiveTask': 'receiveTask',
  'bpmn:Task': 'task',
  'bpmn:ManualTask': 'manualTask',
  'bpmn:ExclusiveGateway': 'exclusiveGateway',
  'bpmn:ParallelGateway': 'parallelGateway',
  'bpmn:IntermediateCatchEvent': 'intermediateCatchEvent',
  'bpmn:IntermediateThrowEvent': 'intermediateThrowEvent',
  'bpmn:BoundaryEvent': 'boundaryEvent',
};

/** Flow elements that carry no behaviour (data objects and references). */
const PASSIVE_FLOW_ELEMENTS = new Set(['bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference']);

/** Zeebe extension elements that are metadata only. */
const METADATA_EXTENSIONS = new Set(['zeebe:Properties', 'zeebe:VersionTag']);

/** Which Zeebe extension elements each element kind executes. */
const EXECUTED_EXTENSIONS: Partial<Record<ElementKind, string[]>> = {
  serviceTask: ['zeebe:TaskDefinition', 'zeebe:TaskHeaders', 'zeebe:IoMapping'],
  sendTask: ['zeebe:TaskDefinition', 'zeebe:TaskHeaders', 'zeebe:IoMapping'],
  scriptTask: ['zeebe:TaskDefinition', 'zeebe:TaskHeaders', 'zeebe:IoMapping', 'zeebe:Script'],
  businessRuleTask: ['zeebe:TaskDefinition', 'zeebe:TaskHeaders', 'zeebe:IoMapping'],
  receiveTask: ['zeebe:IoMapping'],
  intermediateCatchEvent: ['zeebe:IoMapping'],
  intermediateThrowEvent: ['zeebe:IoMapping'],
  endEvent: ['zeebe:IoMapping'],
  startEvent: ['zeebe:IoMapping'],
  boundaryEvent: ['zeebe:IoMapping'],
  task: ['zeebe:IoMapping'],
  manualTask: ['zeebe:IoMapping'],
};

const JOB_KINDS = new Set<ElementKind>(['serviceTask', 'sendTask', 'scriptTask', 'businessRuleTask']);

export async function parseBpmn(xml: string): Promise<ParseResult> {
  const moddle = new BpmnModdle({ zeebe: zeebeSchema } as Record<string, unknown>);
  let definitions: Moddle;
  let warnings: { message: string }[];
  try {
    const result = await moddle.fromXML(xml, 'bpmn:Definitions');
    definitions = result.rootElement;
    warnings = result.warnings as { message: string }[];
  } catch (error) {
    return { ok: false, errors: [`cannot parse the XML: ${oneLine((error as Error).message)}`] };
  }
  const errors: string[] = warnings.map((w) => `cannot read part of the XML: ${oneLine(w.message)}`);
  const processes: ProcessModel[] = [];
  const executable = ((definitions?.rootElements ?? []) as Moddle[]).filter(
    (e) => e.$type === 'bpmn:Process' && e.isExecutable === true,
  );
  if (executable.length === 0) errors.push('Must contain at least one executable process');
  for (const process of executable) {
    const compiled = compileProcess(process, errors);
    if (compiled) processes.push(compiled);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, processes };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ', ').trim();
}

function compileProcess(process: Moddle, errors: string[]): ProcessModel | undefined {
  const problems = (id: string, kind: string) => (reason: string) =>
    errors.push(`- Element: ${id} (${kind})\n    - ERROR: ${reason}`);

  const processProblem = problems(process.id, 'bpmn:Process');
  if (!process.id) processProblem('a process needs an id');
  checkExtensions(process, [], processProblem);

  const elements: Record<string, FlowNode> = {};
  const flows: Record<string, SequenceFlow> = {};
  const flowElements: Moddle[] = process.flowElements ?? [];

  for (const el of flowElements) {
    if (el.$type === 'bpmn:SequenceFlow') {
      const problem = problems(el.id, 'bpmn:SequenceFlow');
      const flow: SequenceFlow = { id: el.id, source: el.sourceRef?.id, target: el.targetRef?.id };
      if (!flow.source || !flow.target) problem('a sequence flow needs a source and a target');
      const body: string | undefined = el.conditionExpression?.body;
      if (body !== undefined && body.trim() !== '') {
        if (!isExpression(body)) problem(`the condition '${body}' must be a FEEL expression starting with '='`);
        else {
          const condition = stripExpression(body);
          const syntax = checkFeelSyntax(condition);
          if (syntax) problem(syntax);
          flow.condition = condition;
        }
      }
      flows[el.id] = flow;
    }
  }

  for (const el of flowElements) {
    if (el.$type === 'bpmn:SequenceFlow' || PASSIVE_FLOW_ELEMENTS.has(el.$type)) continue;
    const kind = FLOW_NODE_KINDS[el.$type];
    const problem = problems(el.id, el.$type);
    if (!kind) {
      problem(`the element kind '${el.$type}' is not supported by forager's engine`);
      continue;
    }
    const node = compileNode(el, kind, problem);
    if (node) elements[el.id] = node;
  }

  for (const flow of Object.values(flows)) {
    const source = elements[flow.source];
    const target = elements[flow.target];
    if (source) source.outgoing.push(flow.id);
    if (target) target.incoming.push(flow.id);
  }

  let noneStartEvent: string | undefined;
  const messageStartEvents: { elementId: string; messageName: string }[] = [];
  for (const node of Object.values(elements)) {
    const problem = problems(node.id, `bpmn:${node.kind[0]!.toUpperCase()}${node.kind.slice(1)}`);
    validateNode(node, elements, flows, problem);
    if (node.kind === 'startEvent' && node.event === 'none') {
      if (noneStartEvent) problem('a process can have only one none start event');
      noneStartEvent = node.id;
    }
    if (node.kind === 'startEvent' && node.event === 'message' && node.message) {
      messageStartEvents.push({ elementId: node.id, messageName: node.message.name });
    }
  }
  if (!noneStartEvent && messageStartEvents.length === 0) {
    processProblem('a process needs a none start event or a message start event');
  }
  return {
    bpmnProcessId: process.id,
    name: process.name,
    elements,
    flows,
    noneStartEvent,
    messageStartEvents,
  };
}

function compileNode(el: Moddle, kind: ElementKind, problem: (reason: string) => void): FlowNode | undefined {
  const node: FlowNode = emptyNode(el.id, el.name, kind);
  if (kind === 'exclusiveGateway') node.defaultFlow = el.default?.id;
  if (el.loopCharacteristics) {
    problem(`${el.loopCharacteristics.$type} (multi-instance or loop) is not supported by forager's engine yet`);
  }
  if (el.isForCompensation) problem('compensation is not supported by forager\'s engine');

  const ext = checkExtensions(el, EXECUTED_EXTENSIONS[kind] ?? [], problem);
  const io = ext.get('zeebe:IoMapping');
  if (io) {
    node.inputs = mappings(io.inputParameters, problem);
    node.outputs = mappings(io.outputParameters, problem);
  }

  const definitions: Moddle[] = el.eventDefinitions ?? [];
  if (definitions.length > 1) problem('an event with more than one event definition is not supported');
  const definition = definitions[0];
  if (definition) {
    switch (definition.$type) {
      case 'bpmn:MessageEventDefinition':
        node.event = 'message';
        node.message = messageOf(definition.messageRef, kind, problem);
        break;
      case 'bpmn:ErrorEventDefinition':
        node.event = 'error';
        node.errorCode = definition.errorRef?.errorCode || undefined;
        break;
      case 'bpmn:TerminateEventDefinition':
        node.event = 'terminate';
        break;
      default:
        problem(`the event definition '${definition.$type}' is not supported by forager's engine`);
    }
  }

  if (JOB_KINDS.has(kind)) {
    const task = ext.get('zeebe:TaskDefinition');
    const script = ext.get('zeebe:Script');
    if (kind === 'scriptTask' && script && !task) {
      const expression = String(script.expression ?? '');
      if (!isExpression(expression)) problem(`the script expression must be FEEL starting with '='`);
      const syntax = checkFeelSyntax(stripExpression(expression));
      if (syntax) problem(syntax);
      if (!script.resultVariable) problem(`Must have a 'resultVariable' for the script expression`);
      node.script = { expression: stripExpression(expression), resultVariable: String(script.resultVariable ?? '') };
    } else if (!task) {
      problem(`Must have exactly one 'zeebe:taskDefinition' extension element`);
    } else {
      const type = String(task.type ?? '');
      const retries = String(task.retries ?? '3');
      if (type.trim() === '') problem(`the job type of 'zeebe:taskDefinition' must not be empty`);
      if (isExpression(type)) {
        const syntax = checkFeelSyntax(stripExpression(type));
        if (syntax) problem(syntax);
      }
      if (isExpression(retries)) {
        const syntax = checkFeelSyntax(stripExpression(retries));
        if (syntax) problem(syntax);
      } else if (!/^-?\d+$/.test(retries.trim())) {
        problem(`the retries '${retries}' of 'zeebe:taskDefinition' must be a number or a FEEL expression`);
      }
      const headers: Record<string, string> = {};
      for (const h of (ext.get('zeebe:TaskHeaders')?.values ?? []) as Moddle[]) {
        if (h.key !== undefined) headers[String(h.key)] = String(h.value ?? '');
      }
      node.job = {
        type: isExpression(type) ? stripExpression(type) : type,
        typeIsExpression: isExpression(type),
        retries: isExpression(retries) ? stripExpression(retries) : retries.trim(),
        retriesIsExpression: isExpression(retries),
        headers,
      };
    }
  }
  if (kind === 'receiveTask') {
    node.event = 'message';
    node.message = messageOf(el.messageRef, kind, problem);
  }
  if (kind === 'boundaryEvent') {
    node.attachedTo = el.attachedToRef?.id;
    if (!node.attachedTo) problem('a boundary event must be attached to an activity');
    if (node.event !== 'error') problem(`only error boundary events are supported by forager's engine (this one is '${node.event}')`);
    if (el.cancelActivity === false) problem('an error boundary event must be interrupting');
  }
  return node;
}

function messageOf(message: Moddle, kind: ElementKind, problem: (reason: string) => void) {
  if (!message) {
    problem('Must reference a message');
    return undefined;
  }
  const rawName = String(message.name ?? '');
  if (rawName.trim() === '') problem('Must have a message name');
  const nameIsExpression = isExpression(rawName);
  if (nameIsExpression) {
    const syntax = checkFeelSyntax(stripExpression(rawName));
    if (syntax) problem(syntax);
  }
  const sub = (message.extensionElements?.values ?? []).find((v: Moddle) => v.$type === 'zeebe:Subscription');
  const rawKey: string | undefined = sub?.correlationKey;
  if (kind !== 'startEvent' && (rawKey === undefined || rawKey.trim() === '')) {
    problem(`Must have a correlation key ('zeebe:subscription correlationKey') on message '${message.name ?? message.id}'`);
  }
  const keyIsExpression = rawKey !== undefined && isExpression(rawKey);
  if (keyIsExpression) {
    const syntax = checkFeelSyntax(stripExpression(rawKey));
    if (syntax) problem(syntax);
  }
  return {
    name: nameIsExpression ? stripExpression(rawName) : rawName,
    nameIsExpression,
    correlationKey: rawKey === undefined ? undefined : keyIsExpression ? stripExpression(rawKey) : rawKey,
    correlationKeyIsExpression: keyIsExpression,
  };
}

function mappings(params: Moddle[] | undefined, problem: (reason: string) => void): Mapping[] {
  const out: Mapping[] = [];
  for (const p of params ?? []) {
    const target = String(p.target ?? '');
    if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(target)) {
      problem(`the mapping target '${target}' is not a variable name or path`);
    }
    const raw = p.source === undefined ? '' : String(p.source);
    // A static source is a literal string; an empty source means null.
    const source = raw === '' ? 'null' : isExpression(raw) ? stripExpression(raw) : JSON.stringify(raw);
    const syntax = checkFeelSyntax(source);
    if (syntax) problem(syntax);
    out.push({ source, target });
  }
  return out;
}

/** Returns the extension elements by type; anything not executed and not metadata is a problem. */
function checkExtensions(el: Moddle, executed: string[], problem: (reason: string) => void): Map<string, Moddle> {
  const found = new Map<string, Moddle>();
  for (const ext of (el.extensionElements?.values ?? []) as Moddle[]) {
    if (METADATA_EXTENSIONS.has(ext.$type)) continue;
    if (!executed.includes(ext.$type)) {
      problem(`the extension element '${ext.$type}' is not supported here by forager's engine`);
      continue;
    }
    if (found.has(ext.$type)) problem(`Must have at most one '${ext.$type}' extension element`);
    found.set(ext.$type, ext);
  }
  return found;
}

function validateNode(
  node: FlowNode,
  elements: Record<string, FlowNode>,
  flows: Record<string, SequenceFlow>,
  problem: (reason: string) => void,
): void {
  switch (node.kind) {
    case 'startEvent':
      if (node.event !== 'none' && node.event !== 'message') {
        problem(`a '${node.event}' start event is not supported by forager's engine`);
      }
      if (node.incoming.length > 0) problem('a start event must not have incoming sequence flows');
      break;
    case 'endEvent':
      if (node.event === 'message') problem("a message end event is not supported by forager's engine yet");
      if (node.event === 'error' && !node.errorCode) problem("Must reference an error with an 'errorCode'");
      if (node.outgoing.length > 0) problem('an end event must not have outgoing sequence flows');
      break;
    case 'intermediateCatchEvent':
      if (node.event !== 'message') problem(`a '${node.event}' intermediate catch event is not supported by forager's engine`);
      break;
    case 'intermediateThrowEvent':
      if (node.event !== 'none') problem(`a '${node.event}' intermediate throw event is not supported by forager's engine yet`);
      break;
    case 'exclusiveGateway': {
      if (node.outgoing.length > 1) {
        for (const id of node.outgoing) {
          const flow = flows[id]!;
          if (!flow.condition && id !== node.defaultFlow) {
            problem(`the outgoing sequence flow '${id}' must have a condition or be the default flow`);
          }
        }
      }
      break;
    }
    case 'boundaryEvent': {
      const host = node.attachedTo ? elements[node.attachedTo] : undefined;
      if (node.attachedTo && !host) problem(`attached to '${node.attachedTo}', which is not an executable activity`);
      if (host) {
        const sameCode = host.boundaries
          .map((id) => elements[id]!)
          .filter((b) => b.event === 'error' && b.errorCode === node.errorCode);
        if (sameCode.length > 0) {
          problem(
            node.errorCode
              ? `Multiple error catch events with the same error code '${node.errorCode}' are not supported`
              : 'Multiple error catch events without an error code are not supported',
          );
        }
        host.boundaries.push(node.id);
      }
      if (node.incoming.length > 0) problem('a boundary event must not have incoming sequence flows');
      break;
    }
    default:
      break;
  }
  if (node.kind !== 'exclusiveGateway') {
    for (const id of node.outgoing) {
      if (flows[id]?.condition) {
        problem(`the outgoing sequence flow '${id}' has a condition, which only a gateway's flows may have`);
      }
    }
  }
}
