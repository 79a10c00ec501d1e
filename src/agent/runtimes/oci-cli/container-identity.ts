// How a container started for a pod is named and labelled, so that `ps --filter label=...` finds
// the containers this agent started — after an agent restart too — and says whose they are.
// The label keys are the ones the kubelet puts on its containers.
import type { ContainerRequest } from '../../container-runtime.js';

export const LABEL = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  restartCount: 'io.kubernetes.container.restartCount',
  terminationMessagePolicy: 'io.kubernetes.container.terminationMessagePolicy',
  /** Which agent started it: several agents (state dirs) may share one Docker engine. */
  owner: 'io.everynode.state-dir',
  logPath: 'io.everynode.log-path',
  /** Host file mounted at the container's terminationMessagePath. */
  terminationMessageFile: 'io.everynode.termination-message-file',
} as const;

/** `k8s_<container>_<pod>_<namespace>_<pod uid>_<attempt>`, like the kubelet's dockershim named them. */
export function containerName(req: ContainerRequest): string {
  const m = req.pod.metadata ?? {};
  return ['k8s', req.container.name, m.name ?? '', m.namespace ?? '', m.uid ?? '', String(req.attempt)].join('_');
}

export function containerLabels(req: ContainerRequest, owner: string, terminationMessageFile: string | undefined): Record<string, string> {
  const m = req.pod.metadata ?? {};
  const labels: Record<string, string> = {
    [LABEL.podName]: m.name ?? '',
    [LABEL.podNamespace]: m.namespace ?? '',
    [LABEL.podUid]: m.uid ?? '',
    [LABEL.containerName]: req.container.name,
    [LABEL.restartCount]: String(req.attempt),
    [LABEL.terminationMessagePolicy]: req.container.terminationMessagePolicy ?? 'File',
    [LABEL.owner]: owner,
    [LABEL.logPath]: req.logPath,
  };
  if (terminationMessageFile !== undefined) labels[LABEL.terminationMessageFile] = terminationMessageFile;
  return labels;
}

/** Who a labelled container belongs to; undefined for containers without our labels. */
export function ownerOf(labels: Record<string, string>): { podUid: string; containerName: string; attempt: number } | undefined {
  const podUid = labels[LABEL.podUid];
  const name = labels[LABEL.containerName];
  const attempt = Number(labels[LABEL.restartCount] ?? '0');
  if (!podUid || !name || !Number.isInteger(attempt)) return undefined;
  return { podUid, containerName: name, attempt };
}
