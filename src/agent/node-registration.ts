// Registering a node, as the kubelet does: create the Node; if it already exists (a restarted
// agent), keep it — its uid, spec (taints, unschedulable) and user labels stay as they are — and
// only bring the well-known labels and the kubelet-owned status back to what this agent reports.
// Taints (`--taints`) are only given to a Node being created, as upstream's --register-with-taints.
import type { Node } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R, type Client } from '../client/client.js';
import { initialNode, nodeConditions, nodeStatusFields, rfc3339, wellKnownNodeLabels, type NodeDescription } from './node-status.js';

export interface Registered {
  node: Node;
  /** false: the Node existed and was taken over. */
  created: boolean;
}

export async function registerNode(client: Client, d: NodeDescription, now: Date = new Date()): Promise<Registered> {
  try {
    const node = (await client.create(R.nodes, undefined, initialNode(d, rfc3339(now)) as KObject)) as Node;
    return { node, created: true };
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
  }
  const existing = (await client.get(R.nodes, undefined, d.name)) as Node;
  const wanted = wellKnownNodeLabels(d.name, d.nodeInfo.operatingSystem, d.nodeInfo.architecture);
  const labels = existing.metadata?.labels ?? {};
  const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => labels[k] !== v));
  if (Object.keys(changed).length) await client.patch(R.nodes, undefined, d.name, 'merge', { metadata: { labels: changed } });
  const status = { ...nodeStatusFields(d), conditions: nodeConditions(rfc3339(now), existing.status?.conditions, d.pressure) };
  const node = (await client.patch(R.nodes, undefined, d.name, 'strategic', { status }, 'status')) as Node;
  return { node, created: false };
}
