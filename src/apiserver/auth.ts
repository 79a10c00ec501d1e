// Bearer-token authentication and a small authorizer. The admin token may do anything.
// The agent bootstrap token is what `everynode agent` joins with: it may read everything (but
// not pod logs) and write what a node agent writes (nodes, leases, pods and their status,
// events) — `agent --simulate` runs thousands of nodes on it. Real agents trade it for a node
// token (node-credentials.ts) naming `system:node:<name>`, which may only read what an agent
// needs and write its own Node and Lease; which pods it may write depends on the pod, so that
// part is checked against the object (node-restriction.ts).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError, qualifiedResource } from '../api/errors.js';
import { nodeNameOf, nodeUser } from './node-credentials.js';

export interface User {
  name: string;
  groups: string[];
}

export interface Attributes {
  verb: string; // get list watch create update patch delete deletecollection
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const ADMIN: User = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
const AGENT: User = { name: 'system:bootstrap:agent', groups: ['system:bootstrappers', 'system:authenticated'] };

function same(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Checks node tokens; returns the node name a valid token was issued to. */
export interface NodeTokenVerifier {
  verifyToken(token: string): string | undefined;
}

export class Authenticator {
  constructor(
    private readonly adminToken: string,
    private readonly agentToken: string,
    private readonly nodeTokens?: NodeTokenVerifier,
  ) {}

  authenticate(req: IncomingMessage): User | undefined {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return undefined;
    const token = header.slice(7).trim();
    if (same(token, this.adminToken)) return ADMIN;
    if (same(token, this.agentToken)) return AGENT;
    const node = this.nodeTokens?.verifyToken(token);
    return node ? nodeUser(node) : undefined;
  }
}

const READ_VERBS = new Set(['get', 'list', 'watch']);
const AGENT_WRITES: Record<string, string[]> = {
  nodes: ['', 'status'],
  leases: [''],
  pods: ['', 'status'],
  events: [''],
};

const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** What a node reads (group/resource); leases only in kube-node-lease. */
const NODE_READS = new Set(['/nodes', '/pods', '/namespaces', 'scheduling.k8s.io/priorityclasses', 'coordination.k8s.io/leases']);
const UPDATE_VERBS = new Set(['update', 'patch']);

/** The name-level rules for `system:node:<node>`; node-restriction.ts checks the objects. */
function authorizeNode(node: string, a: Attributes): boolean {
  const resource = `${a.group}/${a.resource}`;
  const sub = a.subresource ?? '';
  if (READ_VERBS.has(a.verb)) {
    return NODE_READS.has(resource) && (sub === '' || sub === 'status') && (resource !== 'coordination.k8s.io/leases' || a.namespace === NODE_LEASE_NAMESPACE);
  }
  switch (resource) {
    case '/nodes': // create: the name is in the body, checked by node-restriction
      return (a.verb === 'create' && sub === '') || (UPDATE_VERBS.has(a.verb) && a.name === node && (sub === '' || sub === 'status'));
    case 'coordination.k8s.io/leases':
      return a.namespace === NODE_LEASE_NAMESPACE && sub === '' && (a.verb === 'create' || (UPDATE_VERBS.has(a.verb) && a.name === node));
    case '/pods': // only pods bound to this node, and only mirror pods created: node-restriction
      return (sub === '' && (a.verb === 'create' || a.verb === 'delete')) || (sub === 'status' && UPDATE_VERBS.has(a.verb));
    case '/events':
      return a.verb === 'create' || UPDATE_VERBS.has(a.verb);
    default:
      return false;
  }
}

export function authorize(user: User, a: Attributes): boolean {
  if (user.groups.includes('system:masters')) return true;
  const node = nodeNameOf(user);
  if (node !== undefined) return authorizeNode(node, a);
  if (READ_VERBS.has(a.verb)) return a.subresource !== 'log';
  return AGENT_WRITES[a.resource]?.includes(a.subresource ?? '') ?? false;
}

/** Upstream's 403 for a denied request; a subresource is named as `pods/log`. */
export function forbiddenError(user: User, a: Attributes): ApiError {
  const what = a.name ? `${qualifiedResource(a.resource, a.group)} "${a.name}"` : qualifiedResource(a.resource, a.group);
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  return new ApiError(403, 'Forbidden', `${what} is forbidden: User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}"${scope}`, {
    name: a.name,
    group: a.group,
    kind: a.resource,
  });
}
