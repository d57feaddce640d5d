/**
 * Resources of a deployment, prepared before the DEPLOYMENT:CREATE command is written: parsing is
 * asynchronous (moddle), processing is not, so the gateway parses first and the command carries the
 * result. `.bpmn`/`.xml` → executable processes, `.dmn` → one decision requirements graph with its
 * decisions, `.form` → a form with its id. Problems are collected per resource, each naming the file and
 * the element at fault; the processor rejects the deployment if any resource has one.
 *
 * @example
 * const [prepared] = await prepareResources([{ name: 'dish.dmn', content: readFileSync('dish.dmn') }]);
 * if (prepared.errors.length) console.error(prepared.errors.join('\n'));
 */
import { createHash } from 'node:crypto';
import { parseBpmn } from '../bpmn/parse.ts';
import type { ProcessModel } from '../bpmn/model.ts';
import type { DecisionRequirementsModel } from '../dmn/model.ts';
import { parseDmn } from '../dmn/parse.ts';

/** How a resource is read: by the end of its name, as Zeebe does. */
export type ResourceKind = 'bpmn' | 'dmn' | 'form' | 'unknown';

/** A resource after parsing. Plain data: it is part of the command on the log. */
export interface PreparedResource {
  name: string;
  /** MD5 of the bytes, hex. */
  checksum: string;
  kind?: ResourceKind;
  processes: ProcessModel[];
  /** A DMN file's decision requirements graph. */
  drg?: DecisionRequirementsModel;
  /** A form: its id and its JSON as deployed. */
  form?: { id: string; schema: string };
  /** Problems, each a line; the deployment is rejected if there is one. */
  errors: string[];
}

export function resourceKind(name: string): ResourceKind {
  if (/\.(bpmn|xml)$/i.test(name)) return 'bpmn';
  if (name.endsWith('.dmn')) return 'dmn';
  if (name.endsWith('.form')) return 'form';
  return 'unknown';
}

/** Parses every resource of a deployment (concurrently). Never throws: problems end up in `errors`. */
export async function prepareResources(resources: { name: string; content: Buffer }[]): Promise<PreparedResource[]> {
  return Promise.all(
    resources.map(async ({ name, content }) => {
      const bytes = Buffer.from(content);
      const checksum = createHash('md5').update(bytes).digest('hex');
      const kind = resourceKind(name);
      const prepared: PreparedResource = { name, checksum, kind, processes: [], errors: [] };
      const text = bytes.toString('utf8');
      switch (kind) {
        case 'bpmn': {
          const parsed = await parseBpmn(text);
          if (parsed.ok) prepared.processes = parsed.processes;
          else prepared.errors = parsed.errors;
          break;
        }
        case 'dmn': {
          const parsed = await parseDmn(text);
          if (parsed.ok) prepared.drg = parsed.drg;
          else prepared.errors = parsed.errors;
          break;
        }
        case 'form': {
          const form = parseForm(text);
          if (typeof form === 'string') prepared.errors.push(form);
          else prepared.form = form;
          break;
        }
        default:
          prepared.errors.push(`- Expected the resource name to end with '.bpmn', '.xml', '.dmn' or '.form', but it was '${name}' (unknown resource type)`);
      }
      return prepared;
    }),
  );
}

/** A form's JSON → its id, or the problem (Zeebe's wording). */
export function parseForm(text: string): { id: string; schema: string } | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `Failed to parse form JSON: ${(error as Error).message}`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return 'Failed to parse form JSON: expected a JSON object';
  }
  const id = (json as { id?: unknown }).id;
  if (id === undefined || id === null) return 'Expected the form id to be present, but none given';
  if (typeof id !== 'string') return `Expected the form id to be a string, but it was ${JSON.stringify(id)}`;
  if (id.trim() === '') return 'Expected the form id to be filled, but it is blank';
  return { id, schema: text };
}
