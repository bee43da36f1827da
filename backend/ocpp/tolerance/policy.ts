// The tolerant inbound policy: what to do with a charger's request that its JSON schema refuses. It knows nothing
// of an OCPP version: it is given the schemas, a validator that throws ocpp-rpc's errors (whose details carry
// ajv's errors), and a profile saying which values a handler depends on (kept strict), which array items may be
// dropped whole, and which missing values have a safe default. OCPP 1.6's profile is ocpp16-profile.ts; 2.0.1
// brings its own and reuses this.
//
// It runs only after the one validation of the hot path failed. ocpp-rpc's ajv stops at the first error, so the
// policy repairs that one and validates again, until the payload is valid or an error cannot be repaired (then
// the charger gets the CALLERROR strict mode gives). Each repair is a recorded violation:
// - kept: the value stays as the charger sent it (a string over its length, a value outside an enum, a number
//   out of range); only the copy being validated carries a placeholder, and the sent value is put back at the end.
// - normalised: the value is changed to what the schema meant (an enum value in another case, a timestamp in
//   another notation), coerced: its type is changed without loss ("230.5" for 230.5, 1 for "1"),
//   renamed: a misspelled property takes the schema's name, defaulted: a missing or unreadable value takes the
//   profile's default (a timestamp takes the receive time).
// - dropped: a property the schema does not know, or an unreadable optional value, or a whole array item (one bad
//   sampled value) is left out; its raw value is in the violation.

import { createRPCError } from 'ocpp-rpc';

export type Repair = 'kept' | 'normalised' | 'coerced' | 'renamed' | 'defaulted' | 'dropped';

export interface SchemaViolation {
  /** JSON pointer of the value in the payload as sent ('' for the payload itself). */
  path: string;
  /** The JSON-schema keyword it broke (ajv's name: maxLength, enum, type, required, additionalProperties...). */
  keyword: string;
  /** The rule in words, from ajv ("must NOT have more than 25 characters"). */
  rule: string;
  repair: Repair;
  /** The value as sent, when there was one (JSON, cut at MAX_RAW_CHARACTERS). */
  raw?: string;
}

export interface ToleranceProfile {
  /** Per action, JSON-pointer patterns ('*' is any array index) of the values handlers depend on: strict. */
  protectedPaths: Readonly<Record<string, readonly string[]>>;
  /** Per action, patterns of array items dropped whole when something in them cannot be repaired. */
  droppableItems: Readonly<Record<string, readonly string[]>>;
  /** A safe value for a missing or unreadable required value at `path`, or undefined when there is none. */
  defaultValue(action: string, path: string, receivedAt: string): unknown;
  /** A value in a notation the schema's `format` refuses but the handlers read, normalised; else undefined. */
  normaliseFormat(format: string, value: string): string | undefined;
}

/** ocpp-rpc's Validator#validate: returns when valid, throws an RPC error with `details.errors` otherwise. */
export type SchemaValidate = (schemaId: string, params: unknown) => unknown;

export interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export type ToleranceOutcome = { accepted: true; violations: SchemaViolation[] } | { accepted: false; error: Error };

/** Objects in accepted payloads that held a repaired value (their property or item), for handlers to flag. */
const repairedObjects = new WeakSet<object>();

/** True when the policy repaired a value in this object (a sampled value, a meter value, the payload itself). */
export function wasRepaired(value: unknown): boolean {
  return typeof value === 'object' && value !== null && repairedObjects.has(value);
}

/** A payload that needs more repairs than this is refused: real quirks need a handful. */
const MAX_REPAIRS = 500;
const MAX_RAW_CHARACTERS = 200;

interface Location {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

export class TolerancePolicy {
  private readonly schemas = new Map<string, unknown>();
  private readonly patterns = new Map<string, { strict: RegExp[]; droppable: RegExp[] }>();

  constructor(
    schemas: readonly unknown[],
    private readonly validate: SchemaValidate,
    private readonly profile: ToleranceProfile,
  ) {
    for (const schema of schemas) {
      const id = (schema as { $id?: string }).$id;
      if (id) this.schemas.set(id, schema);
    }
  }

  /**
   * Repairs `params` in place (it is what the handler gets) after `error`, the failed validation of a charger's
   * request `schemaId` ("urn:Action.req"). Accepted: the payload is now valid, except for the values kept as sent.
   */
  repair(schemaId: string, params: unknown, error: unknown, receivedAt: string): ToleranceOutcome {
    const schema = this.schemas.get(schemaId);
    const action = schemaId.replace(/^urn:/, '').replace(/\.req$/, '');
    const first = ajvErrorOf(error);
    if (!schema || !first || typeof params !== 'object' || params === null)
      return { accepted: false, error: asError(error) };
    const { strict, droppable } = this.patternsOf(action);
    const violations: SchemaViolation[] = [];
    const restores: Array<{ location: Location; value: unknown }> = [];
    // Items dropped so far, per array, by their index as sent: ajv's paths are into the payload as repaired so
    // far, and the violations name paths as the charger sent them.
    const dropped = new Map<unknown[], number[]>();

    let current: { error: unknown; ajv: AjvError } = { error, ajv: first };
    for (let repairs = 0; ; repairs++) {
      if (repairs >= MAX_REPAIRS) {
        return {
          accepted: false,
          error: createRPCError(
            'FormatViolation',
            `more than ${MAX_REPAIRS} schema violations in one ${action}`,
            {},
          ) as Error,
        };
      }
      const step = this.repairOne(current.ajv, params, schema, { action, receivedAt, strict, droppable, dropped });
      if (!step) return { accepted: false, error: asError(current.error) };
      violations.push(step.violation);
      if (step.restore) restores.push(step.restore);
      const holder = valueAt(
        params,
        current.ajv.keyword === 'required' || current.ajv.keyword === 'additionalProperties'
          ? current.ajv.instancePath
          : parentPointer(current.ajv.instancePath),
      );
      if (typeof holder === 'object' && holder !== null) repairedObjects.add(holder);
      try {
        this.validate(schemaId, params);
        break;
      } catch (next) {
        const ajv = ajvErrorOf(next);
        if (!ajv) return { accepted: false, error: asError(next) };
        current = { error: next, ajv };
      }
    }
    for (const { location, value } of restores) (location.parent as Record<string, unknown>)[location.key] = value;
    return { accepted: true, violations };
  }

  private repairOne(
    error: AjvError,
    params: object,
    schema: unknown,
    context: {
      action: string;
      receivedAt: string;
      strict: RegExp[];
      droppable: RegExp[];
      dropped: Map<unknown[], number[]>;
    },
  ): { violation: SchemaViolation; restore?: { location: Location; value: unknown } } | undefined {
    const { keyword } = error;
    const named =
      keyword === 'required'
        ? String(error.params.missingProperty)
        : keyword === 'additionalProperties'
          ? String(error.params.additionalProperty)
          : undefined;
    const name = named ?? '';
    const path = named === undefined ? error.instancePath : `${error.instancePath}/${escapePointer(named)}`;
    if (matchesAny(context.strict, path)) return undefined;

    const rule = error.message ?? keyword;
    const node = schemaAt(schema, error.schemaPath);
    const holder = valueAt(params, error.instancePath);
    const location = named === undefined ? locationOf(params, error.instancePath) : undefined;
    const current = location ? (location.parent as Record<string, unknown>)[location.key] : undefined;
    const sentPath = (pointer: string) => pathAsSent(params, pointer, context.dropped);
    const violation = (repair: Repair, raw?: unknown): SchemaViolation => ({
      path: sentPath(path),
      keyword,
      rule,
      repair,
      ...(raw === undefined ? {} : { raw: rawText(raw) }),
    });

    // Removes the value (or its array item) when nothing better is possible; undefined when it is required.
    const dropOrFail = () => {
      const item = this.droppableItemOf(params, path, context.droppable);
      if (item) {
        const array = item.parent as unknown[];
        const raw = array[item.key as number];
        const itemPath = sentPath(item.path);
        const sentIndex = Number(itemPath.slice(itemPath.lastIndexOf('/') + 1));
        const indices = context.dropped.get(array) ?? [];
        indices.push(sentIndex);
        indices.sort((a, b) => a - b);
        context.dropped.set(array, indices);
        array.splice(item.key as number, 1);
        return { violation: { ...violation('dropped', raw), path: itemPath } };
      }
      if (location && !Array.isArray(location.parent) && !isRequired(schema, error.schemaPath, location.key)) {
        delete (location.parent as Record<string, unknown>)[location.key];
        return { violation: violation('dropped', current) };
      }
      return undefined;
    };
    // The copy being validated gets `placeholder`; the value as sent is put back once the payload is valid.
    const keep = (placeholder: unknown) => {
      if (!location) return undefined;
      (location.parent as Record<string, unknown>)[location.key] = placeholder;
      return { violation: violation('kept', current), restore: { location, value: current } };
    };
    const replace = (repair: Repair, value: unknown) => {
      if (!location) return undefined;
      (location.parent as Record<string, unknown>)[location.key] = value;
      return { violation: violation(repair, current) };
    };

    switch (keyword) {
      case 'additionalProperties': {
        if (!isPlainObject(holder)) return undefined;
        const raw = holder[name];
        const target = misspelled(name, node, holder);
        if (target && !matchesAny(context.strict, `${error.instancePath}/${escapePointer(target)}`)) {
          delete holder[name];
          holder[target] = raw;
          return { violation: violation('renamed', raw) };
        }
        delete holder[name];
        return { violation: violation('dropped', raw) };
      }
      case 'required': {
        if (!isPlainObject(holder)) return undefined;
        const properties = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
        const source = Object.keys(holder).find((key) => !(properties && key in properties) && sameName(key, name));
        if (source !== undefined) {
          holder[name] = holder[source];
          delete holder[source];
          return { violation: violation('renamed', holder[name]) };
        }
        const fallback = this.profile.defaultValue(context.action, wildcard(path), context.receivedAt);
        if (fallback !== undefined) {
          holder[name] = fallback;
          return { violation: violation('defaulted') };
        }
        return dropOrFail();
      }
      case 'type': {
        const coerced = coerce(current, error.params.type);
        if (coerced !== undefined) return replace('coerced', coerced);
        return dropOrFail();
      }
      case 'enum': {
        const allowed = (error.params.allowedValues as unknown[]) ?? [];
        if (typeof current === 'string') {
          const match = allowed.find((value) => typeof value === 'string' && sameName(value, current));
          if (match !== undefined) return replace('normalised', match);
        }
        return allowed.length > 0 ? keep(allowed[0]) : dropOrFail();
      }
      case 'maxLength':
        return typeof current === 'string' ? keep(current.slice(0, Number(error.params.limit))) : dropOrFail();
      case 'minLength':
        return typeof current === 'string' ? keep(current.padEnd(Number(error.params.limit), '_')) : dropOrFail();
      case 'maximum':
      case 'minimum':
        return keep(Number(error.params.limit));
      case 'exclusiveMaximum':
        return keep(Number(error.params.limit) - 1);
      case 'exclusiveMinimum':
        return keep(Number(error.params.limit) + 1);
      case 'multipleOf':
        return typeof current === 'number'
          ? keep(Math.round(current / Number(error.params.multipleOf)) * Number(error.params.multipleOf))
          : dropOrFail();
      case 'format': {
        if (typeof current === 'string') {
          const normalised = this.profile.normaliseFormat(String(error.params.format), current);
          if (normalised !== undefined) return replace('normalised', normalised);
        }
        const fallback = this.profile.defaultValue(context.action, wildcard(path), context.receivedAt);
        if (fallback !== undefined) return replace('defaulted', fallback);
        return dropOrFail();
      }
      case 'maxItems': {
        if (!Array.isArray(current)) return dropOrFail();
        const extra = current.splice(Number(error.params.limit));
        return { violation: violation('dropped', extra) };
      }
      default:
        return dropOrFail();
    }
  }

  /** The innermost droppable array item that holds `path`, with its own path. */
  private droppableItemOf(
    params: object,
    path: string,
    droppable: RegExp[],
  ): (Location & { path: string }) | undefined {
    const segments = path.split('/');
    for (let length = segments.length; length > 1; length--) {
      const prefix = segments.slice(0, length).join('/');
      if (!matchesAny(droppable, prefix)) continue;
      const location = locationOf(params, prefix);
      if (location && Array.isArray(location.parent)) return { ...location, path: prefix };
    }
    return undefined;
  }

  private patternsOf(action: string): { strict: RegExp[]; droppable: RegExp[] } {
    let patterns = this.patterns.get(action);
    if (!patterns) {
      patterns = {
        strict: (this.profile.protectedPaths[action] ?? []).map(pointerPattern),
        droppable: (this.profile.droppableItems[action] ?? []).map(pointerPattern),
      };
      this.patterns.set(action, patterns);
    }
    return patterns;
  }
}

/** The first ajv error of an ocpp-rpc validation error. */
export function ajvErrorOf(error: unknown): AjvError | undefined {
  const errors = (error as { details?: { errors?: AjvError[] } } | undefined)?.details?.errors;
  return Array.isArray(errors) && errors.length > 0 ? errors[0] : undefined;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** A lossless change of type: 230.5 → "230.5", "12" → 12, "true" → true, {…} → [{…}]; undefined when none is. */
function coerce(value: unknown, wanted: unknown): unknown {
  const types = Array.isArray(wanted) ? wanted : [wanted];
  for (const type of types) {
    if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
    if ((type === 'integer' || type === 'number') && typeof value === 'string' && NUMBER.test(value.trim())) {
      const number = Number(value.trim());
      if (Number.isFinite(number) && (type === 'number' || Number.isSafeInteger(number))) return number;
    }
    if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    if (type === 'array' && isPlainObject(value)) return [value];
  }
  return undefined;
}
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A schema property the charger spelled differently (case, '_' or '-'), absent from the object. */
function misspelled(name: string, node: unknown, holder: Record<string, unknown>): string | undefined {
  const properties = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!properties) return undefined;
  return Object.keys(properties).find((property) => !(property in holder) && sameName(property, name));
}

function sameName(a: string, b: string): boolean {
  const canonical = (text: string) => text.replace(/[-_\s]/g, '').toLowerCase();
  return canonical(a) === canonical(b);
}

/** Whether the object schema holding the failed value lists it as required (schemaPath: …/properties/KEY/keyword). */
function isRequired(schema: unknown, schemaPath: string, key: string | number): boolean {
  const segments = schemaPath.replace(/^#/, '').split('/').slice(1, -1).map(unescapePointer);
  const own = segments.length - 2;
  if (own < 0 || segments[own] !== 'properties' || segments[own + 1] !== key) return true;
  let node = schema;
  for (const segment of segments.slice(0, own)) {
    if (node === null || typeof node !== 'object') return true;
    node = (node as Record<string, unknown>)[segment];
  }
  const required = (node as { required?: unknown[] } | undefined)?.required;
  return Array.isArray(required) && required.includes(key);
}

/** The schema node whose keyword failed: schemaPath without its last segment (the keyword). */
function schemaAt(schema: unknown, schemaPath: string): unknown {
  const segments = schemaPath.replace(/^#/, '').split('/').slice(1, -1).map(unescapePointer);
  let node = schema;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function parentPointer(pointer: string): string {
  return pointer.slice(0, Math.max(0, pointer.lastIndexOf('/')));
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  const location = locationOf(root, pointer);
  return location ? (location.parent as Record<string, unknown>)[location.key] : undefined;
}

function locationOf(root: unknown, pointer: string): Location | undefined {
  if (pointer === '') return undefined;
  const segments = pointer.split('/').slice(1).map(unescapePointer);
  let node = root;
  for (let i = 0; i < segments.length - 1; i++) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segments[i] ?? ''];
  }
  if (node === null || typeof node !== 'object') return undefined;
  const last = segments.at(-1) ?? '';
  return { parent: node as Record<string, unknown>, key: Array.isArray(node) ? Number(last) : last };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A pointer into the payload as repaired so far, as a pointer into the payload as sent (before items were dropped). */
function pathAsSent(root: unknown, pointer: string, dropped: Map<unknown[], number[]>): string {
  if (dropped.size === 0 || pointer === '') return pointer;
  const segments = pointer.split('/').slice(1);
  let node = root;
  const sent: string[] = [];
  for (const segment of segments) {
    if (Array.isArray(node)) {
      let index = Number(segment);
      const next = node[index];
      for (const removed of dropped.get(node) ?? []) if (removed <= index) index++;
      sent.push(String(index));
      node = next;
    } else {
      sent.push(segment);
      node =
        node !== null && typeof node === 'object'
          ? (node as Record<string, unknown>)[unescapePointer(segment)]
          : undefined;
    }
  }
  return `/${sent.join('/')}`;
}

/** "/meterValue/3/sampledValue/0/unit" → "/meterValue/*\/sampledValue/*\/unit", the form profiles use. */
export function wildcard(pointer: string): string {
  return pointer.replace(/\/\d+(?=\/|$)/g, '/*');
}

function pointerPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '\\d+');
  return new RegExp(`^${escaped}$`);
}

function matchesAny(patterns: RegExp[], path: string): boolean {
  for (const pattern of patterns) if (pattern.test(path)) return true;
  return false;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function rawText(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_RAW_CHARACTERS ? `${text.slice(0, MAX_RAW_CHARACTERS)}…` : text;
}
