// A container's environment as the kubelet builds it: `envFrom` sources, then `env` in order,
// where a literal value may refer to variables defined before it as `$(NAME)`; `valueFrom` reads
// pod fields (the downward API) and the container's resources. The same `$(NAME)` expansion then
// applies to command and args. Secrets and ConfigMaps do not exist in everynode: a reference to
// one behaves as upstream's reference to a missing one (skipped when optional, otherwise the
// container cannot be created: CreateContainerConfigError with upstream's message).
import type { Container, EnvVar, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { integerValue, milliValue, parseQuantity, type Quantity } from '../../api/validation/quantity.js';

/** What the downward API reads besides the pod itself. */
export interface EnvContext {
  pod: Pod;
  /** The node's addresses, primary first. */
  hostIPs: string[];
  /** The pod's addresses, primary first (the node's for host-network pods). */
  podIPs: string[];
  /** The node's allocatable resources: limits a container does not set read as these (upstream's defaulting). */
  allocatable?: Record<string, string>;
}

/** The container cannot be configured: its waiting reason is CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

/**
 * Expands `$(NAME)` references from `vars`; `$$` is a literal `$`; references to unknown names
 * and incomplete ones are left as written (upstream's expansion rules).
 */
export function expandVars(input: string, vars: Record<string, string>): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += Object.hasOwn(vars, name) ? vars[name] : `$(${name})`;
        i = close + 1;
      }
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/** Command and args with `$(NAME)` expanded from the container's environment. */
export function expandCommand(container: Container, env: Record<string, string>): Pick<Container, 'command' | 'args'> {
  return {
    ...(container.command ? { command: container.command.map((s) => expandVars(s, env)) } : {}),
    ...(container.args ? { args: container.args.map((s) => expandVars(s, env)) } : {}),
  };
}

/** The container's environment; throws ContainerConfigError when a source cannot be resolved. */
export function containerEnv(container: Container, ctx: EnvContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) missingSource('configmap', from.configMapRef.name ?? '', from.configMapRef.optional);
    if (from.secretRef) missingSource('secret', from.secretRef.name ?? '', from.secretRef.optional);
  }
  for (const v of container.env ?? []) {
    const value = envValue(v, container, ctx, env);
    if (value !== undefined) env[v.name] = value;
  }
  return env;
}

/** A variable's value; undefined when an optional source is missing (the variable is not set). */
function envValue(v: EnvVar, container: Container, ctx: EnvContext, defined: Record<string, string>): string | undefined {
  const from = v.valueFrom;
  if (v.value || !from) return expandVars(v.value ?? '', defined);
  if (from.fieldRef) return fieldValue(from.fieldRef, ctx);
  if (from.resourceFieldRef) return resourceValue(from.resourceFieldRef, container, ctx.allocatable ?? {});
  if (from.configMapKeyRef) return missingSource('configmap', from.configMapKeyRef.name ?? '', from.configMapKeyRef.optional);
  if (from.secretKeyRef) return missingSource('secret', from.secretKeyRef.name ?? '', from.secretKeyRef.optional);
  return '';
}

function missingSource(kind: 'configmap' | 'secret', name: string, optional: boolean | undefined): undefined {
  if (optional) return undefined;
  throw new ContainerConfigError(`${kind} "${name}" not found`);
}

const SUBSCRIPTED = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** A pod field selected by `fieldRef` (the paths the downward API allows in env). */
function fieldValue(ref: ObjectFieldSelector, ctx: EnvContext): string {
  const { pod } = ctx;
  if (ref.apiVersion && ref.apiVersion !== 'v1') throw new ContainerConfigError(`unsupported pod version: ${ref.apiVersion}`);
  const path = ref.fieldPath;
  const m = SUBSCRIPTED.exec(path);
  if (m) {
    const map = (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
    return map[m[2]!] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return ctx.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return ctx.hostIPs.join(',');
    case 'status.podIP':
      return ctx.podIPs[0] ?? '';
    case 'status.podIPs':
      return ctx.podIPs.join(',');
    default:
      throw new ContainerConfigError(`field label not supported: ${path}`);
  }
}

const LIMIT_DEFAULTS = ['cpu', 'memory', 'ephemeral-storage'];

/** A container resource selected by `resourceFieldRef`, in units of its divisor, rounded up. */
function resourceValue(ref: ResourceFieldSelector, container: Container, allocatable: Record<string, string>): string {
  const [kind, name] = splitResource(ref.resource);
  const declared = (kind === 'limits' ? container.resources?.limits : container.resources?.requests) ?? {};
  let raw: string | number | undefined = declared[name];
  if (raw === undefined && kind === 'limits' && LIMIT_DEFAULTS.includes(name)) raw = allocatable[name];
  const value = quantity(raw ?? '0');
  const divisor = ref.divisor === undefined || ref.divisor === '' ? quantity('1') : quantity(ref.divisor);
  if (name === 'cpu') return String(Math.ceil(milliValue(value) / milliValue(divisor)));
  return String(Math.ceil(integerValue(value) / integerValue(divisor)));
}

function splitResource(resource: string): ['limits' | 'requests', string] {
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  const known = name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-');
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests') || !known) throw new ContainerConfigError(`unsupported container resource : ${resource}`);
  return [kind, name];
}

function quantity(text: string | number): Quantity {
  try {
    return parseQuantity(text);
  } catch (err) {
    throw new ContainerConfigError((err as Error).message);
  }
}
