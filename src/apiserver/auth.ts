// Bearer-token authentication and a small authorizer. The admin token may do anything.
// The agent bootstrap token is what `everynode agent` joins with: it may read everything and
// write what a node agent writes (nodes, leases, pods and their status, events).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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

export class Authenticator {
  constructor(
    private readonly adminToken: string,
    private readonly agentToken: string,
  ) {}

  authenticate(req: IncomingMessage): User | undefined {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return undefined;
    const token = header.slice(7).trim();
    if (same(token, this.adminToken)) return ADMIN;
    if (same(token, this.agentToken)) return AGENT;
    return undefined;
  }
}

const READ_VERBS = new Set(['get', 'list', 'watch']);
const AGENT_WRITES: Record<string, string[]> = {
  nodes: ['', 'status'],
  leases: [''],
  pods: ['', 'status'],
  events: [''],
};

export function authorize(user: User, a: Attributes): boolean {
  if (user.groups.includes('system:masters')) return true;
  if (READ_VERBS.has(a.verb)) return true;
  return AGENT_WRITES[a.resource]?.includes(a.subresource ?? '') ?? false;
}
