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
import { parseCycle, parseDateTime, parseInterval } from '../time/timer-expressions.ts';
import {
  emptyNode,
  type ElementKind,
  type FlowNode,
  type Mapping,
  type MultiInstanceDefinition,
  type ProcessModel,
  type SequenceFlow,
  type SignalDefinition,
  type TimerDefinition,
} from './model.ts';

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
  'bpmn:InclusiveGateway': 'inclusiveGateway',
  'bpmn:EventBasedGateway': 'eventBasedGateway',
  'bpmn:IntermediateCatchEvent': 'intermediateCatchEvent',
  'bpmn:IntermediateThrowEvent': 'intermediateThrowEvent',
  'bpmn:BoundaryEvent': 'boundaryEvent',
  'bpmn:SubProcess': 'subProcess',
  'bpmn:CallActivity': 'callActivity',
};

/** Flow elements that carry no behaviour (data objects and references). */
const PASSIVE_FLOW_ELEMENTS = new Set(['bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference']);

/** Zeebe extension elements that are metadata only. */
const METADATA_EXTENSIONS = new Set(['zeebe:Properties', 'zeebe:VersionTag']);

const JOB_EXTENSIONS = ['zeebe:TaskDefinition', 'zeebe:TaskHeaders', 'zeebe:IoMapping'];

/** Which Zeebe extension elements each element kind executes. */
const EXECUTED_EXTENSIONS: Partial<Record<ElementKind, string[]>> = {
  serviceTask: JOB_EXTENSIONS,
  sendTask: JOB_EXTENSIONS,
  scriptTask: [...JOB_EXTENSIONS, 'zeebe:Script'],
  businessRuleTask: [...JOB_EXTENSIONS, 'zeebe:CalledDecision'],
  receiveTask: ['zeebe:IoMapping'],
  intermediateCatchEvent: ['zeebe:IoMapping'],
  intermediateThrowEvent: JOB_EXTENSIONS,
  endEvent: JOB_EXTENSIONS,
  startEvent: ['zeebe:IoMapping'],
  boundaryEvent: ['zeebe:IoMapping'],
  task: ['zeebe:IoMapping'],
  manualTask: ['zeebe:IoMapping'],
  subProcess: ['zeebe:IoMapping'],
  eventSubProcess: ['zeebe:IoMapping'],
  callActivity: ['zeebe:IoMapping', 'zeebe:CalledElement'],
};

const JOB_KINDS = new Set<ElementKind>(['serviceTask', 'sendTask', 'scriptTask', 'businessRuleTask']);
const ACTIVITY_KINDS = new Set<ElementKind>([
  'serviceTask',
  'sendTask',
  'scriptTask',
  'businessRuleTask',
  'receiveTask',
  'task',
  'manualTask',
  'subProcess',
  'callActivity',
]);

/** What bpmn-moddle says of XML it could read only in part. */
interface ModdleWarning {
  message: string;
  element?: { id?: string; $type?: string };
  property?: string;
  value?: unknown;
}

export async function parseBpmn(xml: string): Promise<ParseResult> {
  const moddle = new BpmnModdle({ zeebe: zeebeSchema } as Record<string, unknown>);
  let definitions: Moddle;
  let warnings: ModdleWarning[];
  try {
    const result = await moddle.fromXML(xml, 'bpmn:Definitions');
    definitions = result.rootElement;
    warnings = result.warnings as ModdleWarning[];
  } catch (error) {
    return { ok: false, errors: [`cannot parse the XML: ${oneLine((error as Error).message)}`] };
  }
  // A reference to no element (a dangling sequence flow, say): bpmn-moddle drops it and says which element held it.
  // Zeebe validates the process, not its drawing: a diagram element naming something not in the file (common
  // after copying a diagram) is no reason to refuse the deployment.
  const unresolved = new Set<string>();
  const errors: string[] = warnings.filter((w) => !isDiagramReference(w)).map((w) => {
    if (!w.element?.id || !w.property || !/^unresolved reference/.test(w.message)) return `cannot read part of the XML: ${oneLine(w.message)}`;
    unresolved.add(w.element.id);
    return `- Element: ${w.element.id} (${w.element.$type})\n    - ERROR: its ${w.property.replace(/^bpmn:/, '')} '${String(w.value)}' is not an element of this document`;
  });
  const processes: ProcessModel[] = [];
  const executable = ((definitions?.rootElements ?? []) as Moddle[]).filter(
    (e) => e.$type === 'bpmn:Process' && e.isExecutable === true,
  );
  if (executable.length === 0) errors.push('Must contain at least one executable process');
  for (const process of executable) {
    const compiled = compileProcess(process, errors, unresolved);
    if (compiled) processes.push(compiled);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, processes };
}

/** Diagram interchange (BPMN DI and the DD packages it builds on): shapes, edges, planes, labels. */
const DIAGRAM_TYPE = /^(bpmndi|di|dc):/;

/** An unresolved reference held by a diagram element (a shape's or plane's bpmnElement, an edge's source, …). */
function isDiagramReference(w: ModdleWarning): boolean {
  return /^unresolved reference/.test(w.message) && DIAGRAM_TYPE.test(w.element?.$type ?? '');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ', ').trim();
}

type Problem = (reason: string) => void;

/** `unresolved`: elements whose references bpmn-moddle could not resolve (already reported). */
function compileProcess(process: Moddle, errors: string[], unresolved: ReadonlySet<string>): ProcessModel | undefined {
  const problems = (id: string, kind: string): Problem => (reason: string) =>
    errors.push(`- Element: ${id} (${kind})\n    - ERROR: ${reason}`);

  const processProblem = problems(process.id, 'bpmn:Process');
  if (!process.id) processProblem('a process needs an id');
  checkExtensions(process, [], processProblem);

  const elements: Record<string, FlowNode> = {};
  const flows: Record<string, SequenceFlow> = {};
  const seenIds = new Set<string>();

  /** Collects the flow elements of one scope (the process or a subprocess), and of the scopes inside it. */
  const collect = (container: Moddle, scope: string | undefined): void => {
    const flowElements: Moddle[] = container.flowElements ?? [];
    for (const el of flowElements) {
      if (el.id && seenIds.has(el.id)) problems(el.id, el.$type)(`the id '${el.id}' is used more than once`);
      if (el.id) seenIds.add(el.id);
      if (el.$type !== 'bpmn:SequenceFlow') continue;
      const problem = problems(el.id, 'bpmn:SequenceFlow');
      const flow: SequenceFlow = { id: el.id, source: el.sourceRef?.id, target: el.targetRef?.id };
      if ((!flow.source || !flow.target) && !unresolved.has(el.id)) problem('a sequence flow needs a source and a target');
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
    for (const el of flowElements) {
      if (el.$type === 'bpmn:SequenceFlow' || PASSIVE_FLOW_ELEMENTS.has(el.$type)) continue;
      let kind = FLOW_NODE_KINDS[el.$type];
      const problem = problems(el.id, el.$type);
      if (!kind) {
        problem(`the element kind '${el.$type}' is not supported by forager's engine`);
        continue;
      }
      if (kind === 'subProcess' && el.triggeredByEvent) kind = 'eventSubProcess';
      const node = compileNode(el, kind, problem);
      if (!node) continue;
      node.scope = scope;
      elements[el.id] = node;
      if (kind === 'subProcess' || kind === 'eventSubProcess') collect(el, el.id);
    }
  };
  collect(process, undefined);

  for (const flow of Object.values(flows)) {
    const source = elements[flow.source];
    const target = elements[flow.target];
    if (source) source.outgoing.push(flow.id);
    if (target) target.incoming.push(flow.id);
    if (flow.source && !source) problems(flow.id, 'bpmn:SequenceFlow')(`its source '${flow.source}' is not an element of this process`);
    if (flow.target && !target) problems(flow.id, 'bpmn:SequenceFlow')(`its target '${flow.target}' is not an element of this process`);
    if (source && target && source.scope !== target.scope) {
      problems(flow.id, 'bpmn:SequenceFlow')(`it connects '${flow.source}' and '${flow.target}', which are in different scopes`);
    }
  }

  const model: ProcessModel = {
    bpmnProcessId: process.id,
    name: process.name,
    elements,
    flows,
    noneStartEvent: undefined,
    messageStartEvents: [],
    timerStartEvents: [],
    signalStartEvents: [],
    eventSubprocesses: [],
  };
  const kindName = (node: FlowNode) =>
    node.kind === 'eventSubProcess' ? 'bpmn:SubProcess' : `bpmn:${node.kind[0]!.toUpperCase()}${node.kind.slice(1)}`;
  for (const node of Object.values(elements)) validateNode(node, model, problems(node.id, kindName(node)));

  // Start events per scope.
  const scopeNode = (id: string | undefined) => (id === undefined ? undefined : elements[id]);
  for (const node of Object.values(elements)) {
    if (node.kind === 'eventSubProcess') {
      const parent = scopeNode(node.scope);
      if (parent) (parent.eventSubprocesses ??= []).push(node.id);
      else model.eventSubprocesses.push(node.id);
    }
    if (node.kind !== 'startEvent') continue;
    const problem = problems(node.id, 'bpmn:StartEvent');
    const parent = scopeNode(node.scope);
    if (parent?.kind === 'eventSubProcess') {
      if (parent.startEvent) problem(`an event subprocess must have exactly one start event ('${parent.startEvent}' is another)`);
      parent.startEvent = node.id;
      if (!['timer', 'message', 'signal', 'error'].includes(node.event)) {
        problem(`the start event of an event subprocess must be a timer, message, signal or error start event, not '${node.event}'`);
      }
      if (node.event === 'error' && node.interrupting === false) problem('an error start event must be interrupting');
      if (node.event === 'message' && node.message && !node.message.correlationKey) {
        problem(`Must have a correlation key ('zeebe:subscription correlationKey') on message '${node.message.name}'`);
      }
      continue;
    }
    if (parent) {
      if (node.event !== 'none') problem(`the start event of an embedded subprocess must be a none start event, not '${node.event}'`);
      if (parent.startEvent) problem(`Must have exactly one none start event in subprocess '${parent.id}'`);
      parent.startEvent = node.id;
      continue;
    }
    switch (node.event) {
      case 'none':
        if (model.noneStartEvent) problem('Multiple none start events are not allowed in a process');
        model.noneStartEvent = node.id;
        break;
      case 'message':
        if (node.message) {
          if (node.message.nameIsExpression) problem('the message name of a message start event must be static');
          if (model.messageStartEvents.some((m) => m.messageName === node.message!.name)) {
            problem(`Multiple message start events with the same name '${node.message.name}' are not allowed`);
          }
          model.messageStartEvents.push({ elementId: node.id, messageName: node.message.name });
        }
        break;
      case 'timer':
        if (node.timer) model.timerStartEvents.push({ elementId: node.id, timer: node.timer });
        break;
      case 'signal':
        if (node.signal) {
          if (node.signal.nameIsExpression) problem('the signal name of a signal start event must be static');
          model.signalStartEvents.push({ elementId: node.id, signalName: node.signal.name });
        }
        break;
      default:
        problem(`a '${node.event}' start event is not supported by forager's engine`);
    }
  }
  for (const node of Object.values(elements)) {
    if (node.kind === 'subProcess' && !node.startEvent) {
      problems(node.id, 'bpmn:SubProcess')('Must have exactly one none start event');
    }
    if (node.kind === 'eventSubProcess' && !node.startEvent) {
      problems(node.id, 'bpmn:SubProcess')('Must have exactly one start event');
    }
  }
  if (!model.noneStartEvent && model.messageStartEvents.length + model.timerStartEvents.length + model.signalStartEvents.length === 0) {
    processProblem('Must have at least one start event');
  }
  return model;
}

function compileNode(el: Moddle, kind: ElementKind, problem: Problem): FlowNode | undefined {
  const node: FlowNode = emptyNode(el.id, el.name, kind);
  if (kind === 'exclusiveGateway' || kind === 'inclusiveGateway') node.defaultFlow = el.default?.id;
  if (el.isForCompensation) problem("compensation is not supported by forager's engine");

  const ext = checkExtensions(el, EXECUTED_EXTENSIONS[kind] ?? [], problem);
  const io = ext.get('zeebe:IoMapping');
  if (io) {
    node.inputs = mappings(io.inputParameters, problem);
    node.outputs = mappings(io.outputParameters, problem);
  }
  if (el.loopCharacteristics) {
    if (!ACTIVITY_KINDS.has(kind)) problem('only activities can be multi-instance');
    else node.multiInstance = multiInstanceOf(el.loopCharacteristics, problem);
  }

  const definitions: Moddle[] = el.eventDefinitions ?? [];
  if (definitions.length > 1) problem('an event with more than one event definition is not supported');
  const definition = definitions[0];
  if (definition) {
    switch (definition.$type) {
      case 'bpmn:MessageEventDefinition':
        node.event = 'message';
        // Message throw and end events are job-based: the message reference is optional there.
        if (definition.messageRef || (kind !== 'intermediateThrowEvent' && kind !== 'endEvent')) {
          node.message = messageOf(definition.messageRef, kind, problem);
        }
        break;
      case 'bpmn:ErrorEventDefinition':
        node.event = 'error';
        node.errorCode = definition.errorRef?.errorCode || undefined;
        break;
      case 'bpmn:TerminateEventDefinition':
        node.event = 'terminate';
        break;
      case 'bpmn:TimerEventDefinition':
        node.event = 'timer';
        node.timer = timerOf(definition, problem);
        break;
      case 'bpmn:SignalEventDefinition':
        node.event = 'signal';
        node.signal = signalOf(definition.signalRef, problem);
        break;
      default:
        problem(`the event definition '${definition.$type}' is not supported by forager's engine`);
    }
  }
  if (kind === 'boundaryEvent') node.interrupting = el.cancelActivity !== false;
  if (kind === 'startEvent') node.interrupting = el.isInterrupting !== false;

  const task = ext.get('zeebe:TaskDefinition');
  const throwsMessage = (kind === 'intermediateThrowEvent' || kind === 'endEvent') && node.event === 'message';
  if (JOB_KINDS.has(kind) || throwsMessage) {
    const script = ext.get('zeebe:Script');
    const decision = ext.get('zeebe:CalledDecision');
    if (kind === 'scriptTask' && script && !task) {
      const expression = String(script.expression ?? '');
      if (!isExpression(expression)) problem(`the script expression must be FEEL starting with '='`);
      const syntax = checkFeelSyntax(stripExpression(expression));
      if (syntax) problem(syntax);
      if (!script.resultVariable) problem(`Must have a 'resultVariable' for the script expression`);
      node.script = { expression: stripExpression(expression), resultVariable: String(script.resultVariable ?? '') };
    } else if (kind === 'businessRuleTask' && decision && !task) {
      const decisionId = String(decision.decisionId ?? '');
      if (decisionId.trim() === '') problem(`Must have a 'decisionId' on 'zeebe:calledDecision'`);
      if (!decision.resultVariable) problem(`Must have a 'resultVariable' on 'zeebe:calledDecision'`);
      const isExpr = isExpression(decisionId);
      if (isExpr) {
        const syntax = checkFeelSyntax(stripExpression(decisionId));
        if (syntax) problem(syntax);
      }
      refuseBinding(decision, 'zeebe:calledDecision', problem);
      node.calledDecision = {
        decisionId: isExpr ? stripExpression(decisionId) : decisionId,
        decisionIdIsExpression: isExpr,
        resultVariable: String(decision.resultVariable ?? ''),
      };
    } else if (!task) {
      problem(`Must have exactly one 'zeebe:taskDefinition' extension element`);
    } else {
      node.job = jobOf(task, ext.get('zeebe:TaskHeaders'), problem);
    }
  } else if (task) {
    problem(`the extension element 'zeebe:TaskDefinition' is not supported here by forager's engine`);
  }
  if (kind === 'receiveTask') {
    node.event = 'message';
    node.message = messageOf(el.messageRef, kind, problem);
  }
  if (kind === 'boundaryEvent') {
    node.attachedTo = el.attachedToRef?.id;
    if (!node.attachedTo) problem('a boundary event must be attached to an activity');
  }
  if (kind === 'callActivity') {
    const called = ext.get('zeebe:CalledElement');
    const processId = String(called?.processId ?? '');
    if (!called || processId.trim() === '') {
      problem(`Must have exactly one 'zeebe:calledElement' extension element with a 'processId'`);
    } else {
      const isExpr = isExpression(processId);
      if (isExpr) {
        const syntax = checkFeelSyntax(stripExpression(processId));
        if (syntax) problem(syntax);
      }
      refuseBinding(called, 'zeebe:calledElement', problem);
      node.calledElement = {
        processId: isExpr ? stripExpression(processId) : processId,
        processIdIsExpression: isExpr,
        propagateAllChildVariables: called.propagateAllChildVariables !== false,
        propagateAllParentVariables: called.propagateAllParentVariables !== false,
      };
    }
  }
  return node;
}

/** Only the latest version is called: binding types 'deployment' and 'versionTag' are refused, not run differently. */
function refuseBinding(extension: Moddle, name: string, problem: Problem): void {
  const binding = String(extension.bindingType ?? 'latest');
  if (binding !== 'latest') problem(`the binding type '${binding}' of '${name}' is not supported by forager's engine (it calls the latest version)`);
}

function jobOf(task: Moddle, headersExt: Moddle | undefined, problem: Problem) {
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
  for (const h of (headersExt?.values ?? []) as Moddle[]) {
    if (h.key !== undefined) headers[String(h.key)] = String(h.value ?? '');
  }
  return {
    type: isExpression(type) ? stripExpression(type) : type,
    typeIsExpression: isExpression(type),
    retries: isExpression(retries) ? stripExpression(retries) : retries.trim(),
    retriesIsExpression: isExpression(retries),
    headers,
  };
}

function timerOf(definition: Moddle, problem: Problem): TimerDefinition | undefined {
  const candidates: [TimerDefinition['type'], Moddle][] = [
    ['date', definition.timeDate],
    ['duration', definition.timeDuration],
    ['cycle', definition.timeCycle],
  ];
  const given = candidates.filter(([, v]) => v !== undefined && v !== null);
  if (given.length !== 1) {
    problem('Must have exactly one of timeDate, timeDuration or timeCycle');
    return undefined;
  }
  const [type, value] = given[0]!;
  const raw = String(value.body ?? '').trim();
  if (raw === '') {
    problem(`the timer's ${type === 'date' ? 'timeDate' : type === 'duration' ? 'timeDuration' : 'timeCycle'} must not be empty`);
    return undefined;
  }
  if (isExpression(raw)) {
    const expression = stripExpression(raw);
    const syntax = checkFeelSyntax(expression);
    if (syntax) problem(syntax);
    return { type, expression, isExpression: true };
  }
  const check = type === 'date' ? parseDateTime(raw) : type === 'duration' ? parseInterval(raw) : parseCycle(raw);
  if (!check.ok) problem(check.message);
  return { type, expression: raw, isExpression: false };
}

function signalOf(signal: Moddle, problem: Problem): SignalDefinition | undefined {
  if (!signal) {
    problem('Must reference a signal');
    return undefined;
  }
  const raw = String(signal.name ?? '');
  if (raw.trim() === '') problem('Must have a signal name');
  const nameIsExpression = isExpression(raw);
  if (nameIsExpression) {
    const syntax = checkFeelSyntax(stripExpression(raw));
    if (syntax) problem(syntax);
  }
  return { name: nameIsExpression ? stripExpression(raw) : raw, nameIsExpression };
}

function multiInstanceOf(loop: Moddle, problem: Problem): MultiInstanceDefinition | undefined {
  if (loop.$type !== 'bpmn:MultiInstanceLoopCharacteristics') {
    problem(`${loop.$type} (a standard loop) is not supported; use multi-instance`);
    return undefined;
  }
  const ext = checkExtensions(loop, ['zeebe:LoopCharacteristics'], problem).get('zeebe:LoopCharacteristics');
  const inputCollection = String(ext?.inputCollection ?? '');
  if (!isExpression(inputCollection)) {
    problem(`Must have an 'inputCollection' FEEL expression on 'zeebe:loopCharacteristics'`);
    return undefined;
  }
  const expr = (raw: string | undefined): string | undefined => {
    if (raw === undefined || raw.trim() === '') return undefined;
    const expression = isExpression(raw) ? stripExpression(raw) : raw;
    const syntax = checkFeelSyntax(expression);
    if (syntax) problem(syntax);
    return expression;
  };
  const name = (raw: string | undefined, what: string): string | undefined => {
    if (raw === undefined || raw.trim() === '') return undefined;
    if (!/^[A-Za-z_][\w]*$/.test(raw.trim())) problem(`the ${what} '${raw}' must be a variable name`);
    return raw.trim();
  };
  const outputCollection = name(ext?.outputCollection, 'outputCollection');
  const outputElement = expr(ext?.outputElement);
  if (outputCollection && !outputElement) problem(`Must have an 'outputElement' when 'outputCollection' is set`);
  if (outputElement && !outputCollection) problem(`Must have an 'outputCollection' when 'outputElement' is set`);
  return {
    sequential: loop.isSequential === true,
    inputCollection: expr(inputCollection)!,
    inputElement: name(ext?.inputElement, 'inputElement'),
    outputCollection,
    outputElement,
    completionCondition: expr(loop.completionCondition?.body),
  };
}

function messageOf(message: Moddle, kind: ElementKind, problem: Problem) {
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
  if (kind !== 'startEvent' && kind !== 'intermediateThrowEvent' && kind !== 'endEvent' && (rawKey === undefined || rawKey.trim() === '')) {
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

function validateNode(node: FlowNode, model: ProcessModel, problem: Problem): void {
  const { elements, flows } = model;
  const conditionsRequired = () => {
    if (node.outgoing.length <= 1 && node.kind === 'exclusiveGateway') return;
    for (const id of node.outgoing) {
      const flow = flows[id]!;
      if (!flow.condition && id !== node.defaultFlow) {
        problem(`the outgoing sequence flow '${id}' must have a condition or be the default flow`);
      }
    }
  };
  switch (node.kind) {
    case 'startEvent':
      if (node.incoming.length > 0) problem('a start event must not have incoming sequence flows');
      break;
    case 'endEvent':
      if (!['none', 'error', 'terminate', 'message', 'signal'].includes(node.event)) {
        problem(`a '${node.event}' end event is not supported by forager's engine`);
      }
      if (node.event === 'error' && !node.errorCode) problem("Must reference an error with an 'errorCode'");
      if (node.outgoing.length > 0) problem('an end event must not have outgoing sequence flows');
      break;
    case 'intermediateCatchEvent':
      if (!['message', 'timer', 'signal'].includes(node.event)) {
        problem(`a '${node.event}' intermediate catch event is not supported by forager's engine`);
      }
      if (node.timer?.type === 'cycle') problem('an intermediate timer catch event must have a timeDuration or timeDate, not a timeCycle');
      break;
    case 'intermediateThrowEvent':
      if (!['none', 'message', 'signal'].includes(node.event)) {
        problem(`a '${node.event}' intermediate throw event is not supported by forager's engine`);
      }
      break;
    case 'exclusiveGateway':
      conditionsRequired();
      break;
    case 'inclusiveGateway':
      if (node.outgoing.length > 1) conditionsRequired();
      break;
    case 'eventBasedGateway': {
      if (node.outgoing.length < 2) problem('Event-based gateway must have at least 2 outgoing sequence flows');
      for (const id of node.outgoing) {
        const target = elements[flows[id]?.target ?? ''];
        if (flows[id]?.condition) problem(`the outgoing sequence flow '${id}' of an event-based gateway must not have a condition`);
        if (!target || target.kind !== 'intermediateCatchEvent' || !['message', 'timer', 'signal'].includes(target.event)) {
          problem(`Event-based gateway must not have an outgoing sequence flow to other elements than message/timer/signal intermediate catch events ('${flows[id]?.target}')`);
        } else if (target.incoming.length > 1) {
          problem(`the catch event '${target.id}' after an event-based gateway must have exactly one incoming sequence flow`);
        }
      }
      break;
    }
    case 'eventSubProcess':
      if (node.incoming.length > 0 || node.outgoing.length > 0) problem('an event subprocess must not have incoming or outgoing sequence flows');
      if (node.multiInstance) problem('an event subprocess cannot be multi-instance');
      break;
    case 'boundaryEvent': {
      const host = node.attachedTo ? elements[node.attachedTo] : undefined;
      if (node.attachedTo && (!host || !ACTIVITY_KINDS.has(host.kind))) {
        problem(`attached to '${node.attachedTo}', which is not an executable activity`);
      }
      if (!['error', 'message', 'timer', 'signal'].includes(node.event)) {
        problem(`a '${node.event}' boundary event is not supported by forager's engine`);
      }
      if (node.event === 'error' && !node.interrupting) problem('an error boundary event must be interrupting');
      if (node.event === 'timer' && node.interrupting && node.timer?.type === 'cycle') {
        problem('an interrupting timer boundary event must have a timeDuration or timeDate, not a timeCycle');
      }
      if (host) {
        if (node.event === 'error') {
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
        }
        host.boundaries.push(node.id);
      }
      if (node.incoming.length > 0) problem('a boundary event must not have incoming sequence flows');
      if (node.outgoing.length === 0) problem('a boundary event must have at least one outgoing sequence flow');
      break;
    }
    default:
      break;
  }
  if (node.kind !== 'exclusiveGateway' && node.kind !== 'inclusiveGateway') {
    for (const id of node.outgoing) {
      if (flows[id]?.condition) {
        problem(`the outgoing sequence flow '${id}' has a condition, which only a gateway's flows may have`);
      }
    }
  }
}
