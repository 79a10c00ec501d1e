// The node printer: STATUS from the Ready condition (plus SchedulingDisabled when cordoned),
// ROLES from the role labels, and the node's addresses and software versions.
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Printer } from '../registry-types.js';
import { ageColumn, ageOf, column, nameColumn, nameOf, typed, wideColumn } from './common.js';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

function statusCell(node: Node): string {
  // If the condition is listed twice, the last entry wins.
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').at(-1);
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` keys and the value of `kubernetes.io/role`, sorted. */
function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith(ROLE_LABEL_PREFIX)) {
      const role = key.slice(ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (key === LEGACY_ROLE_LABEL && value) {
      roles.add(value);
    }
  }
  return [...roles].sort();
}

function addressOf(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', 'string', 'Whether the node is ready, and whether it accepts new pods.'),
    column('Roles', 'string', 'Roles the node is labelled with.'),
    ageColumn,
    column('Version', 'string', 'Version of the kubelet on the node.'),
    wideColumn('Internal-IP', 'string', 'First internal address of the node.'),
    wideColumn('External-IP', 'string', 'First external address of the node.'),
    wideColumn('OS-Image', 'string', 'Operating system image reported by the node.'),
    wideColumn('Kernel-Version', 'string', 'Kernel version reported by the node.'),
    wideColumn('Container-Runtime', 'string', 'Container runtime name and version reported by the node.'),
  ],
  cells(obj, now) {
    const node = typed<Node>(obj);
    const info = node.status?.nodeInfo;
    return [
      nameOf(obj),
      statusCell(node),
      nodeRoles(obj.metadata.labels).join(',') || '<none>',
      ageOf(obj, now),
      info?.kubeletVersion ?? '',
      addressOf(node, 'InternalIP'),
      addressOf(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};
