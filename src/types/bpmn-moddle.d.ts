// Shared by both packages' builds (forager and forager-engine); never part of what they ship.
// bpmn-moddle ships no types; the parser treats its element tree as untyped data.
declare module 'bpmn-moddle' {
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>, options?: Record<string, unknown>);
    fromXML(xml: string, typeName?: string): Promise<{ rootElement: unknown; warnings: unknown[] }>;
  }
}
