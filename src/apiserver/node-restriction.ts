// Admission for node users (upstream's NodeRestriction): the writes whose permission depends on
// the object rather than the URL. The authorizer (auth.ts) already limited a node to its own
// Node and Lease by name; here a node may create its Node and Lease only under its own name,
// create only mirror pods bound to itself, and update the status of or delete only pods whose
// spec.nodeName is itself. Other users (admin, bootstrap, the in-process controllers) pass.
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import type { ResourceDef } from '../api/registry-types.js';
import type { User } from './auth.js';
import { nodeNameOf } from './node-credentials.js';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface WriteRestriction {
  /** Throws 403 unless the user may create `obj`. */
  create(obj: KObject): void;
  /** Throws 403 unless the user may write (`verb`: update, patch, delete) the stored object. */
  existing(current: KObject, verb: string): void;
}

function forbidden(def: ResourceDef, obj: KObject, why: string): ApiError {
  const name = obj.metadata?.name ?? obj.metadata?.generateName ?? '';
  return new ApiError(403, 'Forbidden', `${def.plural} "${name}" is forbidden: ${why}`, { name, group: def.group, kind: def.plural });
}

function podNodeName(pod: KObject): string | undefined {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName;
}

function checkMirrorPod(node: string, def: ResourceDef, pod: KObject): void {
  if (!(pod.metadata?.annotations ?? {})[MIRROR_POD_ANNOTATION]) {
    throw forbidden(def, pod, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
  }
  if (podNodeName(pod) !== node) throw forbidden(def, pod, `node "${node}" can only create pods with spec.nodeName set to itself`);
  const owners = pod.metadata?.ownerReferences ?? [];
  const ownNode = (o: (typeof owners)[number]): boolean => o.apiVersion === 'v1' && o.kind === 'Node' && o.name === node;
  if (owners.length > 1 || (owners.length === 1 && !ownNode(owners[0]!))) {
    throw forbidden(def, pod, `node "${node}" can only create pods with an owner reference set to itself`);
  }
}

/** The checks for `user` writing `def`'s objects, or undefined when there are none. */
export function nodeRestriction(user: User, def: ResourceDef): WriteRestriction | undefined {
  const node = nodeNameOf(user);
  if (node === undefined) return undefined;
  const kind = `${def.group}/${def.kind}`;
  return {
    create(obj) {
      if (kind === '/Node' && obj.metadata?.name !== node) throw forbidden(def, obj, `node "${node}" is not allowed to modify node "${obj.metadata?.name ?? ''}"`);
      if (kind === 'coordination.k8s.io/Lease' && (obj.metadata?.name !== node || (obj.metadata?.namespace ?? NODE_LEASE_NAMESPACE) !== NODE_LEASE_NAMESPACE)) {
        throw forbidden(def, obj, 'can only access node lease with the same name as the requesting node');
      }
      if (kind === '/Pod') checkMirrorPod(node, def, obj);
    },
    existing(current, verb) {
      if (kind === '/Node' && current.metadata.name !== node) throw forbidden(def, current, `node "${node}" is not allowed to modify node "${current.metadata.name}"`);
      if (kind === 'coordination.k8s.io/Lease' && current.metadata.name !== node) {
        throw forbidden(def, current, 'can only access node lease with the same name as the requesting node');
      }
      if (kind === '/Pod' && podNodeName(current) !== node) {
        const what = verb === 'delete' ? 'delete pods' : 'update pod status for pods';
        throw forbidden(def, current, `node "${node}" can only ${what} with spec.nodeName set to itself`);
      }
    },
  };
}
