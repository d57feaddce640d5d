/**
 * Which BPMN elements forager's own engine runs: a small pure table over the `bpmn-moddle` element tree.
 *
 * The CLI must not import the engine (dependency-cruiser: the engine is reached only over the wire), and the
 * engine imports nothing outside `src/engine/`, so the table cannot be shared as code. It lives here instead,
 * and `test/cli/engine-support.test.ts` holds it to the engine's own parser: for every probe diagram, this
 * table finds an unsupported element exactly when `parseBpmn` answers "… is not supported by forager's engine".
 *
 * @example
 *   const gaps = engineGaps(definitions); // [{ elementId: 'approve', kind: 'bpmn:UserTask', reason: '…' }]
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- moddle's element tree is untyped */
type Moddle = any;

export interface EngineGap {
  readonly elementId: string;
  /** The moddle type, e.g. `bpmn:UserTask`. */
  readonly kind: string;
  readonly reason: string;
}

/** Flow elements the engine executes, by moddle type. */
export const ENGINE_FLOW_NODES: ReadonlySet<string> = new Set([
  'bpmn:StartEvent',
  'bpmn:EndEvent',
  'bpmn:IntermediateCatchEvent',
  'bpmn:IntermediateThrowEvent',
  'bpmn:BoundaryEvent',
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:ScriptTask',
  'bpmn:BusinessRuleTask',
  'bpmn:ReceiveTask',
  'bpmn:Task',
  'bpmn:ManualTask',
  'bpmn:ExclusiveGateway',
  'bpmn:ParallelGateway',
  'bpmn:InclusiveGateway',
  'bpmn:EventBasedGateway',
  'bpmn:SubProcess',
  'bpmn:CallActivity',
]);

/** Flow elements without behaviour, accepted and ignored. */
const PASSIVE = new Set(['bpmn:SequenceFlow', 'bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference']);

/** Zeebe extension elements that are metadata only (accepted anywhere). */
const METADATA_EXTENSIONS = new Set(['zeebe:Properties', 'zeebe:VersionTag']);

const JOB = ['zeebe:TaskDefinition', 'zeebe:TaskHeaders', 'zeebe:IoMapping'];

/** The Zeebe extension elements the engine executes, per element type. */
const EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  'bpmn:ServiceTask': JOB,
  'bpmn:SendTask': JOB,
  'bpmn:ScriptTask': [...JOB, 'zeebe:Script'],
  'bpmn:BusinessRuleTask': [...JOB, 'zeebe:CalledDecision'],
  'bpmn:IntermediateThrowEvent': JOB,
  'bpmn:EndEvent': JOB,
  'bpmn:ReceiveTask': ['zeebe:IoMapping'],
  'bpmn:IntermediateCatchEvent': ['zeebe:IoMapping'],
  'bpmn:StartEvent': ['zeebe:IoMapping'],
  'bpmn:BoundaryEvent': ['zeebe:IoMapping'],
  'bpmn:Task': ['zeebe:IoMapping'],
  'bpmn:ManualTask': ['zeebe:IoMapping'],
  'bpmn:SubProcess': ['zeebe:IoMapping'],
  'bpmn:CallActivity': ['zeebe:IoMapping', 'zeebe:CalledElement'],
};

const EVENT_NAMES: Readonly<Record<string, string>> = {
  'bpmn:MessageEventDefinition': 'message',
  'bpmn:ErrorEventDefinition': 'error',
  'bpmn:TerminateEventDefinition': 'terminate',
  'bpmn:TimerEventDefinition': 'timer',
  'bpmn:SignalEventDefinition': 'signal',
};

/** The event kinds the engine runs per event element ('none' = no event definition). */
const EVENTS: Readonly<Record<string, readonly string[]>> = {
  'bpmn:EndEvent': ['none', 'error', 'terminate', 'message', 'signal'],
  'bpmn:IntermediateCatchEvent': ['message', 'timer', 'signal'],
  'bpmn:IntermediateThrowEvent': ['none', 'message', 'signal'],
  'bpmn:BoundaryEvent': ['error', 'message', 'timer', 'signal'],
};

const shortName = (type: string) => type.replace(/^bpmn:/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** Extensions that choose which version to call: forager's engine calls the latest only. */
const BINDINGS = new Set(['zeebe:CalledElement', 'zeebe:CalledDecision']);

function extensionGaps(el: Moddle, executed: readonly string[], gap: (reason: string) => void): void {
  for (const ext of (el.extensionElements?.values ?? []) as Moddle[]) {
    if (BINDINGS.has(ext.$type) && (ext.bindingType ?? 'latest') !== 'latest') gap(`the binding type '${ext.bindingType}' (only the latest version is called)`);
    if (METADATA_EXTENSIONS.has(ext.$type) || executed.includes(ext.$type)) continue;
    gap(`the extension element '${ext.$type}' is not run here`);
  }
}

function eventOf(el: Moddle, gap: (reason: string) => void): string {
  const definitions: Moddle[] = el.eventDefinitions ?? [];
  if (definitions.length > 1) gap('an event with more than one event definition');
  const definition = definitions[0];
  if (!definition) return 'none';
  const name = EVENT_NAMES[definition.$type];
  if (!name) {
    gap(`the event definition '${definition.$type}'`);
    return 'unsupported';
  }
  return name;
}

/** A process's start event kinds (inside subprocesses the kinds are Zeebe's own rules, not gaps of the engine). */
const PROCESS_START_EVENTS = ['none', 'message', 'timer', 'signal'];

/**
 * The elements of `definitions` (a `bpmn:Definitions` from bpmn-moddle with the zeebe extension) that
 * forager's engine would not run, in document order. Only executable processes are looked at.
 */
export function engineGaps(definitions: Moddle): EngineGap[] {
  const gaps: EngineGap[] = [];
  const add = (el: Moddle) => (reason: string) => gaps.push({ elementId: String(el.id ?? ''), kind: String(el.$type), reason });

  const walk = (container: Moddle, scope: 'process' | 'eventSubProcess' | 'subProcess'): void => {
    for (const el of (container.flowElements ?? []) as Moddle[]) {
      if (PASSIVE.has(el.$type)) continue;
      const gap = add(el);
      if (!ENGINE_FLOW_NODES.has(el.$type)) {
        gap(`the element kind ${shortName(el.$type)}`);
        continue;
      }
      if (el.isForCompensation) gap('compensation');
      if (el.loopCharacteristics && el.loopCharacteristics.$type !== 'bpmn:MultiInstanceLoopCharacteristics') gap('a standard loop (use multi-instance)');
      extensionGaps(el, EXTENSIONS[el.$type] ?? [], gap);
      const isEvent = /Event$/.test(el.$type);
      const event = isEvent ? eventOf(el, gap) : 'none';
      if (event !== 'unsupported') {
        if (el.$type === 'bpmn:StartEvent') {
          if (scope === 'process' && !PROCESS_START_EVENTS.includes(event)) gap(`a ${event} start event`);
        } else if (EVENTS[el.$type] && !EVENTS[el.$type]!.includes(event)) {
          gap(`a ${event} ${shortName(el.$type)}`);
        }
      }
      if (el.$type === 'bpmn:SubProcess') walk(el, el.triggeredByEvent ? 'eventSubProcess' : 'subProcess');
    }
  };

  for (const root of (definitions?.rootElements ?? []) as Moddle[]) {
    if (root.$type !== 'bpmn:Process' || root.isExecutable !== true) continue;
    extensionGaps(root, [], add(root));
    walk(root, 'process');
  }
  return gaps;
}
