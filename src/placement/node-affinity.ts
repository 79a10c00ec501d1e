// Node affinity as kube-scheduler and the DaemonSet controller evaluate it: the pod's
// `nodeSelector` map AND `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`,
// plus the preferred terms' score. Pure.
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from 'kubernetes-types/core/v1.js';
import { nodeAffinityReason, nodeSelectorReason, type Reason } from './reasons.js';

export interface AffinityMatch {
  matches: boolean;
  /** Empty when it matches; one reason per failing nodeSelector key, one for the affinity terms. */
  reasons: Reason[];
}

const LABEL_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64); undefined when it would fail. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function isLabelKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.pop()!;
  if (name.length > 63 || !NAME_PART.test(name)) return false;
  if (parts.length === 0) return true;
  const prefix = parts[0]!;
  return prefix.length > 0 && prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix);
}

function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME_PART.test(value));
}

export function describeRequirement(r: NodeSelectorRequirement): string {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'Exists':
    case 'DoesNotExist':
      return `${r.key} ${r.operator}`;
    case 'Gt':
    case 'Lt':
      return `${r.key} ${r.operator} ${values.join(', ')}`;
    default:
      return `${r.key} ${r.operator} [${values.join(', ')}]`;
  }
}

/** Why a label requirement cannot be parsed (upstream: labels.NewRequirement), or undefined. */
function labelRequirementError(r: NodeSelectorRequirement): string | undefined {
  const values = r.values ?? [];
  if (!LABEL_OPERATORS.has(r.operator)) return `operator "${r.operator}" is not supported`;
  if (!isLabelKey(r.key)) return `key "${r.key}" is not a valid label key`;
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) return `${r.key} ${r.operator} needs at least one value`;
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) return `${r.key} ${r.operator} takes no values`;
      break;
    default:
      if (values.length !== 1) return `${r.key} ${r.operator} needs exactly one value`;
      if (parseInt64(values[0]!) === undefined) return `${r.key} ${r.operator}: value "${values[0]}" is not an integer`;
  }
  const bad = values.find((v) => !isLabelValue(v));
  return bad === undefined ? undefined : `value "${bad}" is not a valid label value`;
}

/** Why a field requirement cannot be parsed (only In/NotIn with exactly one value), or undefined. */
function fieldRequirementError(r: NodeSelectorRequirement): string | undefined {
  if (r.operator !== 'In' && r.operator !== 'NotIn') return `matchFields operator "${r.operator}" is not supported (only In, NotIn)`;
  if ((r.values ?? []).length !== 1) return `matchFields ${r.key} ${r.operator} needs exactly one value`;
  return undefined;
}

/** Undefined when the node's labels satisfy the (valid) requirement, else what the node has. */
function labelRequirementFailure(r: NodeSelectorRequirement, labels: Record<string, string>): string | undefined {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : '';
  const values = r.values ?? [];
  let ok: boolean;
  switch (r.operator) {
    case 'In':
      ok = has && values.includes(value);
      break;
    case 'NotIn':
      ok = !has || !values.includes(value);
      break;
    case 'Exists':
      ok = has;
      break;
    case 'DoesNotExist':
      ok = !has;
      break;
    default: {
      const nodeValue = has ? parseInt64(value) : undefined;
      if (has && nodeValue === undefined) return `${describeRequirement(r)}: node has ${r.key}=${value}, not an integer`;
      const bound = parseInt64(values[0]!)!;
      ok = nodeValue !== undefined && (r.operator === 'Gt' ? nodeValue > bound : nodeValue < bound);
    }
  }
  if (ok) return undefined;
  return `${describeRequirement(r)}: ${has ? `node has ${r.key}=${value}` : `node has no label ${r.key}`}`;
}

/** Only `metadata.name` exists as a node field; any other key reads as the empty string. */
function fieldRequirementFailure(r: NodeSelectorRequirement, nodeName: string): string | undefined {
  const actual = r.key === 'metadata.name' ? nodeName : '';
  const equal = actual === r.values![0];
  if (r.operator === 'In' ? equal : !equal) return undefined;
  return `${describeRequirement(r)}: node ${r.key === 'metadata.name' ? `name is ${nodeName}` : `has no field ${r.key}`}`;
}

interface TermOutcome {
  matches: boolean;
  /** Why not, when it does not match. */
  why: string;
}

function evaluateTerm(term: NodeSelectorTerm, node: Node): TermOutcome {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return { matches: false, why: 'empty term matches nothing' };
  // A term that does not parse never matches (upstream ignores the error unless nothing matches).
  const errors = [
    ...expressions.map(labelRequirementError),
    ...fields.map(fieldRequirementError),
  ].filter((e): e is string => e !== undefined);
  if (errors.length) return { matches: false, why: `invalid: ${errors.join(' and ')}` };
  const labels = node.metadata?.labels ?? {};
  const failures = expressions.map((r) => labelRequirementFailure(r, labels));
  // Upstream skips field requirements for a node without a name.
  const nodeName = node.metadata?.name ?? '';
  if (nodeName) failures.push(...fields.map((r) => fieldRequirementFailure(r, nodeName)));
  const failed = failures.filter((f): f is string => f !== undefined);
  return { matches: failed.length === 0, why: failed.join(' and ') };
}

/** True if the node satisfies this single term (empty or unparsable terms match nothing). */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  return evaluateTerm(term, node).matches;
}

/**
 * The required terms, ORed. Returns whether any term matches and, if none does, one explanation
 * per term (`term 2: zone In [a]: node has zone=b`).
 */
export function matchNodeSelectorTerms(selector: NodeSelector, node: Node): { matches: boolean; explanations: string[] } {
  const explanations: string[] = [];
  for (const [i, term] of (selector.nodeSelectorTerms ?? []).entries()) {
    const outcome = evaluateTerm(term, node);
    if (outcome.matches) return { matches: true, explanations: [] };
    explanations.push(`term ${i + 1}: ${outcome.why}`);
  }
  return { matches: false, explanations };
}

/** RequiredNodeAffinity: `spec.nodeSelector` AND the required node affinity terms. */
export function matchRequiredNodeAffinity(spec: PodSpec | undefined, node: Node): AffinityMatch {
  const reasons: Reason[] = [];
  const labels = node.metadata?.labels;
  for (const [key, want] of Object.entries(spec?.nodeSelector ?? {})) {
    const has = labels !== undefined && Object.hasOwn(labels, key);
    if (!has || labels[key] !== want) reasons.push(nodeSelectorReason(key, want, labels));
  }
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    const result = matchNodeSelectorTerms(required, node);
    if (!result.matches) reasons.push(nodeAffinityReason(result.explanations));
  }
  return { matches: reasons.length === 0, reasons };
}

/**
 * The scheduler's NodeAffinity score before normalisation: the sum of the weights of the
 * preferred terms this node matches. Terms with weight 0, empty terms and terms that do not
 * parse count for nothing.
 */
export function preferredAffinityScore(spec: PodSpec | undefined, node: Node): number {
  let score = 0;
  for (const term of spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (term.weight && nodeSelectorTermMatches(term.preference, node)) score += term.weight;
  }
  return score;
}
