// The scheduler's own view of the cluster (upstream's scheduler cache): the nodes, and per node
// the pods counted there — those bound to it, plus those the scheduler has just bound whose
// watch event has not arrived yet ("assumed"), so two quick decisions cannot overcommit a node —
// and the pods nominated to it by preemption. Fed by the informers; every lookup is O(1) in
// the cluster size.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isTerminal, podKey } from './pods.js';
import type { ClusterView } from './schedule.js';

type PodsByKey = Map<string, Pod>;

function addTo(index: Map<string, PodsByKey>, nodeName: string, key: string, pod: Pod): void {
  let pods = index.get(nodeName);
  if (!pods) index.set(nodeName, (pods = new Map()));
  pods.set(key, pod);
}

function removeFrom(index: Map<string, PodsByKey>, nodeName: string, key: string): void {
  const pods = index.get(nodeName);
  if (!pods) return;
  pods.delete(key);
  if (pods.size === 0) index.delete(nodeName);
}

export class NodeState implements ClusterView {
  private readonly nodes = new Map<string, { node: Node; index: number }>();
  private readonly names: string[] = [];
  /** node name → pods counted on it. Pods of a deleted node stay, in case it comes back. */
  private readonly podsByNode = new Map<string, PodsByKey>();
  /** pod key → the node it is counted on. */
  private readonly nodeOfPod = new Map<string, string>();
  /** Pods bound by us whose bound state the informer has not shown yet. */
  private readonly assumed = new Set<string>();
  private readonly nominatedByNode = new Map<string, PodsByKey>();
  private readonly nominationOf = new Map<string, string>();

  get nodeNames(): readonly string[] {
    return this.names;
  }

  node(name: string): Node | undefined {
    return this.nodes.get(name)?.node;
  }

  assignedPods(nodeName: string): Pod[] {
    const pods = this.podsByNode.get(nodeName);
    return pods ? [...pods.values()] : [];
  }

  nominatedPods(nodeName: string): Pod[] {
    const pods = this.nominatedByNode.get(nodeName);
    return pods ? [...pods.values()] : [];
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  setNode(node: Node): void {
    const name = node.metadata!.name!;
    const known = this.nodes.get(name);
    if (known) {
      known.node = node;
      return;
    }
    this.nodes.set(name, { node, index: this.names.length });
    this.names.push(name);
  }

  deleteNode(name: string): void {
    const known = this.nodes.get(name);
    if (!known) return;
    // Swap-remove keeps deletion O(1); the order only matters for where scans start.
    const last = this.names.pop()!;
    if (last !== name) {
      this.names[known.index] = last;
      this.nodes.get(last)!.index = known.index;
    }
    this.nodes.delete(name);
  }

  /** A pod as the informer shows it (added or updated). */
  setPod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (nodeName) {
      this.assumed.delete(key);
      this.unnominate(key);
      if (isTerminal(pod)) this.unplace(key);
      else this.place(key, nodeName, pod);
      return;
    }
    // Unbound: an assumed pod keeps its place until the binding shows up or fails.
    if (this.assumed.has(key)) return;
    this.unplace(key);
    // An update without a nomination keeps one made in memory whose status patch is still on its way.
    const nominated = pod.status?.nominatedNodeName || this.nominationOf.get(key);
    if (nominated) this.nominate(pod, nominated);
  }

  deletePod(pod: Pod): void {
    const key = podKey(pod);
    this.assumed.delete(key);
    this.unplace(key);
    this.unnominate(key);
  }

  /** The scheduler decided: count the pod on the node now, before the binding is confirmed. */
  assume(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    this.unnominate(key);
    this.assumed.add(key);
    this.place(key, nodeName, { ...pod, spec: { ...pod.spec!, nodeName } });
  }

  /** The binding failed: the node has room again. */
  forget(pod: Pod): void {
    const key = podKey(pod);
    if (!this.assumed.delete(key)) return;
    this.unplace(key);
  }

  /** Reserves room on the node for a pod that preempted others there. */
  nominate(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    const before = this.nominationOf.get(key);
    if (before && before !== nodeName) removeFrom(this.nominatedByNode, before, key);
    this.nominationOf.set(key, nodeName);
    addTo(this.nominatedByNode, nodeName, key, pod);
  }

  unnominate(key: string): void {
    const nodeName = this.nominationOf.get(key);
    if (nodeName === undefined) return;
    this.nominationOf.delete(key);
    removeFrom(this.nominatedByNode, nodeName, key);
  }

  private place(key: string, nodeName: string, pod: Pod): void {
    const before = this.nodeOfPod.get(key);
    if (before !== undefined && before !== nodeName) removeFrom(this.podsByNode, before, key);
    this.nodeOfPod.set(key, nodeName);
    addTo(this.podsByNode, nodeName, key, pod);
  }

  private unplace(key: string): void {
    const nodeName = this.nodeOfPod.get(key);
    if (nodeName === undefined) return;
    this.nodeOfPod.delete(key);
    removeFrom(this.podsByNode, nodeName, key);
  }
}
