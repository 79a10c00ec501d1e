// Mirror pods: how the API shows the static pods an agent runs from its manifest folder. One
// mirror pod per static pod, a copy with the annotation `kubernetes.io/config.mirror` = the
// static pod's hash and the Node as its controlling owner (so nothing adopts it, and it goes
// with the Node). As upstream's kubelet does it: a missing mirror is created; one marked for
// deletion (`kubectl delete pod`) or showing an older hash is deleted at once (grace 0, uid
// precondition) and created again; one whose static pod is gone is deleted. Deleting a mirror
// never stops its static pod (pod workers ignore mirror pods). The mirror's status is what the
// runtime reports about the static pod, built as for any other pod.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import { clone, jsonEqual, type KObject } from '../api/object.js';
import { MIRROR_POD_ANNOTATION } from '../api/resources.js';
import { R, type Client } from '../client/client.js';
import { Informer, keyOf } from '../client/informer.js';
import { WorkQueue } from '../client/workqueue.js';
import { rfc3339 } from './node-status.js';
import { buildPodStatus } from './pod-status.js';
import type { PodRuntimeStatus } from './runtime.js';

export interface MirrorPodsOptions {
  client: Client;
  nodeName: string;
  log: Logger;
  /** What the runtime last reported about a static pod (by its uid). */
  runtimeStatus(uid: string): PodRuntimeStatus | undefined;
  /** The node's address for the pods' status (default: the Node's InternalIP). */
  hostIP?: string;
  /** Every mirror is checked again this often, whatever the watch said (default 60 s). */
  resyncIntervalMs?: number;
}

const NOTHING_YET: PodRuntimeStatus = { sandboxReady: false, initContainers: [], containers: [] };
/**
 * How long a mirror deleted by a user stays terminating before we delete it for good and create
 * it again. `kubectl delete` waits by GET, then LIST + WATCH on the name; a mirror removed and
 * recreated between its GET and its LIST leaves it waiting for a DELETED event that never comes.
 * (The kubelet reacts a little later than we would, which hides the same race upstream.)
 */
const USER_DELETE_CONFIRM_DELAY_MS = 1000;
const WATCH_RETRY_BASE_MS = 500;
const WATCH_RETRY_MAX_MS = 10_000;

export function isMirrorPod(pod: Pod | KObject): boolean {
  return pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}

function isCode(err: unknown, ...codes: number[]): boolean {
  return err instanceof ApiError && codes.includes(err.code);
}

/** The static pod's hash, which its mirror carries. */
function hashOf(staticPod: Pod): string {
  return staticPod.metadata!.uid!;
}

function nodeAddress(node: Node): string | undefined {
  const addresses = node.status?.addresses ?? [];
  return (addresses.find((a) => a.type === 'InternalIP') ?? addresses.find((a) => a.type === 'ExternalIP'))?.address;
}

/** The mirror pod to create for a static pod (the API server gives it its own uid). */
export function mirrorPodFor(staticPod: Pod, node: Node): KObject {
  const meta = staticPod.metadata!;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      annotations: { ...meta.annotations, [MIRROR_POD_ANNOTATION]: hashOf(staticPod) },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata!.name!, uid: node.metadata!.uid!, controller: true }],
    },
    spec: clone(staticPod.spec),
  };
}

export class MirrorPods {
  /** The static pods, by full name (namespace/name). */
  private readonly staticPods = new Map<string, Pod>();
  /** The latest version of each pod of the node with a static pod's name: from the watch, or from our own writes. */
  private readonly known = new Map<string, Pod>();
  /** Mirror pods deleted by a user (by uid): when we delete them for good. */
  private readonly deleteDue = new Map<string, number>();
  /** Why the API refused to create a key's mirror, as last logged. */
  private readonly refused = new Map<string, string>();
  /** Keys whose name is taken by a pod that is not a mirror, already logged. */
  private readonly blocked = new Set<string>();
  private readonly informer: Informer;
  private readonly queue: WorkQueue;
  private hostIP: string | undefined;
  private staticPodsKnown = false;
  private watching = false;
  private stopped = false;
  private resync: NodeJS.Timeout | undefined;

  constructor(private readonly o: MirrorPodsOptions) {
    this.hostIP = o.hostIP;
    this.informer = new Informer(o.client, R.pods, undefined, { fieldSelector: `spec.nodeName=${o.nodeName}` });
    this.informer.on({
      add: (obj) => this.observe(obj as Pod),
      update: (obj) => this.observe(obj as Pod),
      delete: (obj) => {
        const key = keyOf(obj);
        this.deleteDue.delete(obj.metadata.uid!);
        if (this.known.get(key)?.metadata?.uid === obj.metadata.uid) this.known.delete(key);
        this.queue.add(key);
      },
    });
    this.queue = new WorkQueue((key) => this.sync(key), { workers: 4, baseDelayMs: 500, maxDelayMs: 10_000 }, (key, err) =>
      o.log.debug({ err, pod: key }, 'mirror pod sync failed; retrying'),
    );
  }

  /** Watches the node's pods (retrying until the API answers) and keeps the mirrors in line from then on. */
  start(): void {
    void this.startWatch();
    this.resync = setInterval(() => this.enqueueAll(), this.o.resyncIntervalMs ?? 60_000);
  }

  /** Stops writing; the mirror pods stay in the API. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.resync);
    this.informer.stop();
    this.queue.stop();
  }

  /** The static pods as they are now (all of them: the ones missing are gone). */
  setStaticPods(pods: Pod[]): void {
    const next = new Map(pods.map((p) => [`${p.metadata!.namespace}/${p.metadata!.name}`, p]));
    for (const [key, pod] of next) if (this.staticPods.get(key)?.metadata?.uid !== pod.metadata!.uid) this.queue.add(key);
    for (const key of this.staticPods.keys()) {
      if (next.has(key)) continue;
      this.refused.delete(key);
      this.queue.add(key);
    }
    this.staticPods.clear();
    for (const [key, pod] of next) this.staticPods.set(key, pod);
    if (!this.staticPodsKnown) {
      this.staticPodsKnown = true;
      this.enqueueAll();
    }
  }

  /** The runtime reported something new about a static pod. */
  statusChanged(pod: Pod): void {
    this.queue.add(`${pod.metadata!.namespace}/${pod.metadata!.name}`);
  }

  private observe(pod: Pod): void {
    const key = keyOf(pod as KObject);
    this.known.set(key, pod);
    this.queue.add(key);
  }

  private enqueueAll(): void {
    for (const key of new Set([...this.staticPods.keys(), ...this.known.keys()])) this.queue.add(key);
  }

  private async startWatch(): Promise<void> {
    for (let failures = 0; !this.stopped; failures++) {
      try {
        await this.informer.start();
        this.watching = true;
        this.enqueueAll();
        return;
      } catch (err) {
        const delay = Math.min(WATCH_RETRY_BASE_MS * 2 ** failures, WATCH_RETRY_MAX_MS);
        this.o.log.debug({ err, retryInMs: delay }, 'unable to list pods for mirror pods');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async sync(key: string): Promise<void> {
    // Until both the folder and the API have been read, a mirror could look orphaned or missing.
    if (!this.watching || !this.staticPodsKnown || this.stopped) return;
    const staticPod = this.staticPods.get(key);
    let mirror = this.known.get(key);
    if (mirror && !isMirrorPod(mirror)) {
      if (staticPod && !this.blocked.has(key)) {
        this.o.log.warn({ pod: key }, 'a pod that is not a mirror pod has the name of a static pod; the static pod is not shown in the API');
        this.blocked.add(key);
      }
      return;
    }
    this.blocked.delete(key);
    const stale = mirror && (!staticPod || mirror.metadata!.annotations![MIRROR_POD_ANNOTATION] !== hashOf(staticPod));
    if (mirror && !stale && mirror.metadata!.deletionTimestamp) {
      const uid = mirror.metadata!.uid!;
      const due = this.deleteDue.get(uid) ?? Date.now() + USER_DELETE_CONFIRM_DELAY_MS;
      this.deleteDue.set(uid, due);
      if (Date.now() < due) return this.queue.addAfter(key, due - Date.now());
    }
    if (mirror && (stale || mirror.metadata!.deletionTimestamp)) {
      this.deleteDue.delete(mirror.metadata!.uid!);
      await this.delete(mirror);
      if (this.known.get(key) === mirror) this.known.delete(key);
      mirror = undefined;
    }
    if (!staticPod) return;
    mirror ??= await this.create(key, staticPod);
    if (mirror) await this.writeStatus(key, staticPod, mirror);
  }

  private async delete(mirror: Pod): Promise<void> {
    const { namespace, name, uid } = mirror.metadata!;
    try {
      await this.o.client.delete(R.pods, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid } });
      this.o.log.info({ pod: `${namespace}/${name}`, uid }, 'deleted mirror pod');
    } catch (err) {
      // 404: already gone; 409: the name belongs to another pod by now.
      if (!isCode(err, 404, 409)) throw err;
    }
  }

  private async node(): Promise<Node> {
    const node = (await this.o.client.get(R.nodes, undefined, this.o.nodeName)) as Node;
    this.hostIP ??= nodeAddress(node);
    return node;
  }

  /** Creates the mirror; undefined when the name turns out to be taken (the next sync sorts it out). */
  private async create(key: string, staticPod: Pod): Promise<Pod | undefined> {
    const node = await this.node();
    // As upstream: no mirror for a node on its way out (its mirrors would be collected with it).
    if (node.metadata!.deletionTimestamp) return undefined;
    const { namespace } = staticPod.metadata!;
    try {
      const created = (await this.o.client.create(R.pods, namespace, mirrorPodFor(staticPod, node))) as Pod;
      this.o.log.info({ pod: key, uid: created.metadata!.uid }, 'created mirror pod');
      this.refused.delete(key);
      this.known.set(key, created);
      return created;
    } catch (err) {
      if (!isCode(err, 409)) {
        // e.g. the static pod's namespace does not exist: say so once, keep retrying.
        if (err instanceof ApiError && err.code >= 400 && err.code < 500 && this.refused.get(key) !== err.message) {
          this.refused.set(key, err.message);
          this.o.log.warn({ pod: key, err: err.message }, 'the API server refuses the mirror pod of a static pod; retrying');
        }
        throw err;
      }
      const existing = (await this.o.client.get(R.pods, namespace, staticPod.metadata!.name!)) as Pod;
      this.known.set(key, existing);
      if (isMirrorPod(existing) && existing.metadata!.annotations![MIRROR_POD_ANNOTATION] === hashOf(staticPod)) return existing;
      this.queue.add(key);
      return undefined;
    }
  }

  private async writeStatus(key: string, staticPod: Pod, mirror: Pod): Promise<void> {
    if (this.hostIP === undefined) await this.node();
    const runtime = this.o.runtimeStatus(staticPod.metadata!.uid!) ?? NOTHING_YET;
    const status = buildPodStatus({ pod: mirror, runtime, hostIP: this.hostIP ?? '', terminal: false, now: rfc3339(new Date()) });
    if (jsonEqual(status, mirror.status)) return;
    const { namespace, name, uid } = mirror.metadata!;
    try {
      const updated = (await this.o.client.update(R.pods, namespace, { ...mirror, status } as KObject, 'status')) as Pod;
      if (this.known.get(key)?.metadata?.uid === uid) this.known.set(key, updated);
    } catch (err) {
      if (!isCode(err, 404, 409)) throw err;
      // Written by someone else meanwhile (409), or gone (404): start again from the API's version.
      try {
        const fresh = (await this.o.client.get(R.pods, namespace, name!)) as Pod;
        this.known.set(key, fresh);
      } catch (getErr) {
        if (!isCode(getErr, 404)) throw getErr;
        if (this.known.get(key)?.metadata?.uid === uid) this.known.delete(key);
      }
      this.queue.add(key);
    }
  }
}
