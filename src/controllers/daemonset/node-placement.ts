// One sync evaluates NodeShouldRunDaemonPod once per node and shares the answers between
// manage, the rolling update and the status. The answers are also remembered per node object
// and DaemonSet generation: with thousands of nodes most syncs see the same node objects again,
// and re-evaluating every node on every sync would dominate a sync's cost.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { shouldRunDaemonPod } from '../../placement/index.js';

export interface PlacedNode {
  node: Node;
  name: string;
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

interface Answer {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/** Placement of the DaemonSet on each node (uncached). Pure. */
export function placeNodes(ds: DaemonSet, nodes: readonly Node[]): PlacedNode[] {
  return nodes.map((node) => {
    const { shouldRun, shouldContinueRunning } = shouldRunDaemonPod(node, ds);
    return { node, name: node.metadata?.name ?? '', shouldRun, shouldContinueRunning };
  });
}

/**
 * `placeNodes` with memory. Cached objects are immutable (a changed node is a new object), and a
 * DaemonSet's template cannot change without its generation changing, so (node object, DaemonSet
 * uid and generation) identifies an answer.
 */
export class PlacementCache {
  private readonly answers = new WeakMap<Node, Map<string, Answer>>();

  place(ds: DaemonSet, nodes: readonly Node[]): PlacedNode[] {
    const generation = ds.metadata?.generation;
    if (generation === undefined) return placeNodes(ds, nodes);
    const dsKey = `${ds.metadata?.uid}/${generation}`;
    return nodes.map((node) => {
      let perNode = this.answers.get(node);
      if (!perNode) this.answers.set(node, (perNode = new Map()));
      let answer = perNode.get(dsKey);
      if (!answer) {
        const { shouldRun, shouldContinueRunning } = shouldRunDaemonPod(node, ds);
        perNode.set(dsKey, (answer = { shouldRun, shouldContinueRunning }));
      }
      return { node, name: node.metadata?.name ?? '', ...answer };
    });
  }
}
