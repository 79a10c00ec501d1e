// Static pods, as the kubelet's file source has them: every manifest in the pod manifest folder
// (`--pod-manifest-path`) is run by this agent straight through its PodRuntime, with or without
// an API server. The folder is watched (fs.watch, plus a periodic rescan because watches miss
// things: folders created later, network filesystems); a new manifest starts its pods, a changed
// one replaces them (new content = new uid), a removed one stops them. As upstream, a file that
// stops parsing counts as removed (its pods stop) and a missing folder holds no pods.
// When a client is given, each static pod is shown in the API as a mirror pod (mirror-pods.ts).
//
// A static pod is the manifest's Pod with what upstream's file source adds: name `<name>-<node>`,
// namespace `default` unless set, `spec.nodeName`, a NoExecute toleration so node problems never
// evict it, a uid hashed from the manifest, the node and the file (so unchanged manifests keep
// their uid across agent restarts, which lets the runtime adopt their containers), the
// `kubernetes.io/config.{hash,source,seen}` annotations, then the API server's defaults and
// create validation.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import YAML from 'yaml';
import { defaultPod } from '../api/defaults/index.js';
import { clone, isPlainObject, jsonEqual, type KObject } from '../api/object.js';
import { validatePodCreate } from '../api/validation/kinds.js';
import type { Client } from '../client/client.js';
import { MirrorPods } from './mirror-pods.js';
import type { PodRuntime, PodRuntimeStatus } from './runtime.js';

export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';

/** Upstream's limit on one manifest file. */
const MAX_MANIFEST_BYTES = 10 << 20;
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json', '.manifest'];
/** Lets a writer finish the file before it is read. */
const WATCH_DEBOUNCE_MS = 100;
const DEFAULT_RESCAN_MS = 10_000;

// --- manifests (pure) ----------------------------------------------------------------------

/** What one manifest file holds: its static pods, or why none can be taken from it. */
export type ParsedManifest = { pods: Pod[]; error?: undefined } | { pods?: undefined; error: string };

/** JSON with object keys sorted: the same content always hashes the same. */
function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJSON(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The uid upstream gives a static pod: an md5 of the manifest's pod, the node and the file. */
export function staticPodUID(raw: unknown, nodeName: string, file: string): string {
  return createHash('md5').update(canonicalJSON(raw)).update(`host:${nodeName}`).update(`file:${file}`).digest('hex');
}

export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

const NO_EXECUTE_ANYTHING: Toleration = { operator: 'Exists', effect: 'NoExecute' };

/** The static pod built from one Pod of a manifest, or the reasons it is not a valid pod. */
function staticPod(raw: Record<string, unknown>, nodeName: string, file: string): { pod: Pod; errors?: undefined } | { pod?: undefined; errors: string[] } {
  const pod = clone(raw) as unknown as Pod & { metadata: NonNullable<Pod['metadata']> };
  if (!isPlainObject(pod.metadata)) pod.metadata = {};
  if (!isPlainObject(pod.spec)) return { errors: ['spec: Required value'] };
  const meta = pod.metadata as KObject['metadata'];
  const uid = meta.uid || staticPodUID(raw, nodeName, file);
  meta.uid = uid;
  if (meta.name) meta.name = staticPodName(meta.name, nodeName);
  meta.namespace ||= 'default';
  meta.annotations = { ...meta.annotations, [CONFIG_HASH_ANNOTATION]: uid, [CONFIG_SOURCE_ANNOTATION]: 'file' };
  pod.spec.nodeName = nodeName;
  const tolerations = (pod.spec.tolerations ??= []);
  if (!tolerations.some((t) => jsonEqual(t, NO_EXECUTE_ANYTHING))) tolerations.push({ ...NO_EXECUTE_ANYTHING });
  defaultPod(pod as unknown as KObject);
  const problems = validatePodCreate(pod as unknown as KObject);
  if (problems.length) return { errors: problems.map((p) => `${p.field}: ${p.message}`) };
  return { pod };
}

/** The Pods a document holds: a v1 Pod, or a v1 PodList / List of them. */
function podsOfDocument(doc: unknown): Record<string, unknown>[] | string {
  if (!isPlainObject(doc)) return 'not a Kubernetes object';
  const { apiVersion, kind } = doc;
  if (apiVersion === 'v1' && kind === 'Pod') return [doc];
  if (apiVersion === 'v1' && (kind === 'PodList' || kind === 'List')) {
    const items = Array.isArray(doc.items) ? doc.items : [];
    const pods: Record<string, unknown>[] = [];
    for (const [i, item] of items.entries()) {
      if (!isPlainObject(item) || (item.kind !== undefined && item.kind !== 'Pod') || (item.apiVersion !== undefined && item.apiVersion !== 'v1')) {
        return `items[${i}]: expected a v1 Pod`;
      }
      pods.push({ ...item, apiVersion: 'v1', kind: 'Pod' });
    }
    return pods;
  }
  if (apiVersion === undefined || kind === undefined) return 'expected a v1 Pod or PodList: apiVersion and kind must be set';
  return `expected a v1 Pod or PodList, got ${String(apiVersion)} ${String(kind)}`;
}

/**
 * Reads one manifest (YAML or JSON, one or more documents, each a Pod or a list of them). As
 * upstream, the file is taken whole or not at all: any invalid document rejects it.
 */
export function parseManifest(text: string, file: string, nodeName: string): ParsedManifest {
  let docs: unknown[];
  try {
    // YAML 1.1, as Kubernetes reads manifests: `0644` is octal, `yes` is true.
    const parsed = YAML.parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
    const list = Array.isArray(parsed) ? parsed : [];
    const broken = list.find((d) => d.errors.length);
    if (broken) return { error: `cannot decode: ${broken.errors[0]!.message.split('\n')[0]}` };
    docs = list.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    return { error: `cannot decode: ${(err as Error).message.split('\n')[0]}` };
  }
  const pods: Pod[] = [];
  for (const [d, doc] of docs.entries()) {
    const where = docs.length > 1 ? `document ${d + 1}: ` : '';
    const raws = podsOfDocument(doc);
    if (typeof raws === 'string') return { error: `${where}${raws}` };
    for (const raw of raws) {
      const built = staticPod(raw, nodeName, file);
      if (built.errors) {
        const name = isPlainObject(raw.metadata) && typeof raw.metadata.name === 'string' ? `pod "${raw.metadata.name}": ` : '';
        return { error: `${where}${name}invalid pod: ${built.errors.join('; ')}` };
      }
      pods.push(built.pod);
    }
  }
  return { pods };
}

export function isManifestFileName(name: string): boolean {
  return !name.startsWith('.') && MANIFEST_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));
}

// --- the manager ---------------------------------------------------------------------------

export interface StaticPodManagerOptions {
  manifestDir: string;
  nodeName: string;
  runtime: PodRuntime;
  /** The API server: mirror pods are kept there when given. */
  client?: Client;
  log: Logger;
  /** The node's address for the mirror pods' status (default: the Node's InternalIP). */
  hostIP?: string;
  /** Periodic rescan of the folder besides watching it (default 10 s). */
  rescanIntervalMs?: number;
  /** Events the runtime records about a static pod. */
  onEvent?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

interface Entry {
  pod: Pod;
  fullName: string;
  /** Resolves once the pod has been handed to the runtime (or dropped before that). */
  started: Promise<void>;
  inRuntime: boolean;
  removed: boolean;
  status?: PodRuntimeStatus;
}

function fullNameOf(pod: Pod): string {
  return `${pod.metadata!.namespace}/${pod.metadata!.name}`;
}

/** Go's RFC 3339 with nanoseconds (trailing zeros dropped), as the kubelet writes config.seen. */
function seenTimestamp(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

export class StaticPodManager {
  /** Static pods this agent runs, by uid. */
  private readonly entries = new Map<string, Entry>();
  /** By full name: stops still in progress; a pod with that name starts only after them (upstream: one instance at a time). */
  private readonly stopping = new Map<string, Promise<void>>();
  /** Per file: the last problem reported, so that a rescan does not repeat it. */
  private readonly reported = new Map<string, string>();
  private readonly mirrors: MirrorPods | undefined;
  private watcher: FSWatcher | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private scanAgain = false;
  private stopped = false;

  constructor(private readonly o: StaticPodManagerOptions) {
    if (o.client) {
      this.mirrors = new MirrorPods({ client: o.client, nodeName: o.nodeName, log: o.log, hostIP: o.hostIP, runtimeStatus: (uid) => this.runtimeStatus(uid) });
    }
  }

  /** Reads the folder and starts its pods, then keeps watching it; mirror pods follow once the API answers. */
  async start(): Promise<void> {
    this.mirrors?.start();
    await this.scan();
    this.rescanTimer = setInterval(() => void this.scan(), this.o.rescanIntervalMs ?? DEFAULT_RESCAN_MS);
  }

  /** Stops watching the folder and the API. The static pods keep running (the agent going away does not stop them). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.rescanTimer);
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    this.mirrors?.stop();
  }

  /** The static pods currently run. */
  pods(): Pod[] {
    return [...this.entries.values()].map((e) => e.pod);
  }

  /** What the runtime last reported about a static pod. */
  runtimeStatus(uid: string): PodRuntimeStatus | undefined {
    return this.entries.get(uid)?.status;
  }

  /** Reads the folder now and applies the differences (concurrent calls share one pass, followed by one more). */
  scan(): Promise<void> {
    if (this.scanning) {
      this.scanAgain = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.scanAgain = false;
        await this.scanOnce();
      } while (this.scanAgain && !this.stopped);
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (this.stopped) return;
    const found = await this.readFolder();
    if (!found || this.stopped) return;
    this.ensureWatch();
    const wanted = new Map<string, Pod>();
    const names = new Map<string, string>();
    const duplicates = new Set<string>();
    for (const { file, pods } of found) {
      for (const pod of pods) {
        const fullName = fullNameOf(pod);
        const first = names.get(fullName);
        if (first !== undefined) {
          duplicates.add(`${file}\0${fullName}`);
          this.report(`${file}\0${fullName}`, 'warn', `static pod ${fullName} is already defined in ${first}; ignoring this one`);
          continue;
        }
        names.set(fullName, file);
        wanted.set(pod.metadata!.uid!, pod);
      }
    }
    for (const key of [...this.reported.keys()]) if (key.includes('\0') && !duplicates.has(key)) this.reported.delete(key);
    for (const [uid, e] of [...this.entries]) if (!wanted.has(uid)) this.remove(uid, e);
    for (const [uid, pod] of wanted) if (!this.entries.has(uid)) this.add(pod);
    this.mirrors?.setStaticPods(this.pods());
  }

  /** The manifests of the folder, in file name order; undefined when the folder cannot be read now. */
  private async readFolder(): Promise<{ file: string; pods: Pod[] }[] | undefined> {
    const dir = this.o.manifestDir;
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
      this.reported.delete(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // As upstream: a folder that does not exist holds no static pods.
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.report(dir, 'warn', `pod manifest path ${dir} does not exist: no static pods`);
        return [];
      }
      this.report(dir, 'warn', `cannot read the pod manifest path ${dir}: ${(err as Error).message}; keeping the static pods as they are`);
      return undefined;
    }
    const out: { file: string; pods: Pod[] }[] = [];
    const present = new Set<string>([dir]);
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const file = join(dir, name);
      present.add(file);
      const pods = await this.readManifest(file, name);
      if (pods) out.push({ file, pods });
    }
    for (const key of [...this.reported.keys()]) if (!present.has(key.split('\0')[0]!)) this.reported.delete(key);
    return out;
  }

  private async readManifest(file: string, name: string): Promise<Pod[] | undefined> {
    try {
      const info = await stat(file);
      if (info.isDirectory()) return this.report(file, 'debug', `not descending into ${file}: static pod manifests are read from the folder itself`);
      if (!info.isFile()) return this.report(file, 'debug', `ignoring ${file}: not a regular file`);
      if (!isManifestFileName(name)) return this.report(file, 'debug', `ignoring ${file}: manifests end in ${MANIFEST_EXTENSIONS.join(', ')}`);
      if (info.size > MAX_MANIFEST_BYTES) return this.report(file, 'warn', `invalid static pod manifest ${file}: larger than ${MAX_MANIFEST_BYTES} bytes`);
      const text = await readFile(file, 'utf8');
      const parsed = parseManifest(text, file, this.o.nodeName);
      if (parsed.error !== undefined) return this.report(file, 'warn', `invalid static pod manifest ${file}: ${parsed.error}; its pods do not run`);
      this.reported.delete(file);
      return parsed.pods;
    } catch (err) {
      // Removed between listing and reading: the next scan sees it gone.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return this.report(file, 'warn', `cannot read static pod manifest ${file}: ${(err as Error).message}`);
    }
  }

  /** Logs a problem with `key` once, until it changes or goes away. */
  private report(key: string, level: 'warn' | 'debug', message: string): undefined {
    if (this.reported.get(key) === message) return undefined;
    this.reported.set(key, message);
    this.o.log[level]({ path: key.split('\0')[0] }, message);
    return undefined;
  }

  private add(pod: Pod): void {
    pod.metadata!.annotations![CONFIG_SEEN_ANNOTATION] = seenTimestamp(new Date());
    const uid = pod.metadata!.uid!;
    const fullName = fullNameOf(pod);
    const e: Entry = { pod, fullName, started: Promise.resolve(), inRuntime: false, removed: false };
    this.entries.set(uid, e);
    this.o.log.info({ pod: fullName, uid }, 'starting static pod');
    e.started = (this.stopping.get(fullName) ?? Promise.resolve()).then(() => {
      if (e.removed) return;
      e.inRuntime = true;
      this.o.runtime.startPod(pod, {
        status: (s) => {
          if (e.removed) return;
          e.status = s;
          this.mirrors?.statusChanged(pod);
        },
        event: (type, reason, message) => this.o.onEvent?.(pod, type, reason, message),
      });
    });
  }

  private remove(uid: string, e: Entry): void {
    e.removed = true;
    this.entries.delete(uid);
    this.o.log.info({ pod: e.fullName, uid }, 'stopping static pod');
    const grace = e.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const stopped = e.started.then(async () => {
      if (e.inRuntime) await this.o.runtime.stopPod(uid, grace);
    });
    const all = Promise.all([this.stopping.get(e.fullName), stopped]).then(
      () => {},
      (err: unknown) => this.o.log.warn({ err, pod: e.fullName, uid }, 'failed to stop static pod'),
    );
    this.stopping.set(e.fullName, all);
    void all.then(() => {
      if (this.stopping.get(e.fullName) === all) this.stopping.delete(e.fullName);
    });
  }

  /** Watches the folder once it exists; a watch that fails is retried at the next rescan. */
  private ensureWatch(): void {
    if (this.watcher || this.stopped) return;
    try {
      this.watcher = watch(this.o.manifestDir, { persistent: false }, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.scan(), WATCH_DEBOUNCE_MS);
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
  }
}
