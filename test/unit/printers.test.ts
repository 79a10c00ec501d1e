import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { KObject } from '../../src/api/object.js';
import type { Printer } from '../../src/api/registry-types.js';
import { humanDuration, timestampSince } from '../../src/api/printers/duration.js';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  defaultPrinter,
  eventPrinter,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  podPrinter,
  priorityClassPrinter,
} from '../../src/api/printers/index.js';
import { toTable } from '../../src/api/printers/table.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** The RFC 3339 timestamp `ms` before NOW. */
function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace('.000Z', 'Z');
}

function obj(fields: Record<string, unknown> & { metadata?: Record<string, unknown> }): KObject {
  return { ...fields, metadata: { creationTimestamp: ago(3 * H), ...(fields.metadata ?? {}) } } as KObject;
}

// --- durations -----------------------------------------------------------------------------

test('humanDuration matches upstream at every boundary', () => {
  const cases: [number, string][] = [
    [-10 * S, '<invalid>'],
    [-2 * S, '<invalid>'],
    [-1999, '0s'],
    [-1 * S, '0s'],
    [-500, '0s'],
    [0, '0s'],
    [999, '0s'],
    [1 * S, '1s'],
    [45 * S, '45s'],
    [59 * S, '59s'],
    [1 * M, '60s'],
    [90 * S, '90s'],
    [119 * S + 999, '119s'],
    [2 * M, '2m'],
    [2 * M + 30 * S, '2m30s'],
    [5 * M, '5m'],
    [5 * M + 10 * S, '5m10s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [10 * M + 30 * S, '10m'],
    [119 * M + 59 * S, '119m'],
    [2 * H, '120m'],
    [179 * M + 59 * S, '179m'],
    [3 * H, '3h'],
    [3 * H + 59 * S, '3h'],
    [3 * H + 30 * M, '3h30m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H, '8h'],
    [8 * H + 30 * M, '8h'],
    [47 * H + 59 * M, '47h'],
    [2 * D, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [8 * D + 23 * H, '8d'],
    [364 * D, '364d'],
    [690 * D, '690d'],
    [729 * D + 23 * H, '729d'],
    [730 * D, '2y'],
    [740 * D, '2y10d'],
    [3 * 365 * D, '3y'],
    [8 * 365 * D - D, '7y364d'],
    [8 * 365 * D, '8y'],
    [8 * 365 * D + 100 * D, '8y'],
    [20 * 365 * D, '20y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('timestampSince: unset, seconds and microsecond precision, future', () => {
  const cases: [string | undefined | null, string][] = [
    [undefined, '<unknown>'],
    [null, '<unknown>'],
    ['', '<unknown>'],
    ['not a time', '<unknown>'],
    [ago(5 * M + 10 * S), '5m10s'],
    ['2025-06-01T11:59:15.123456Z', '44s'],
    ['2025-06-01T12:00:01Z', '0s'],
    ['2025-06-01T12:05:00Z', '<invalid>'],
  ];
  for (const [ts, want] of cases) assert.equal(timestampSince(ts, NOW), want, String(ts));
});

// --- columns ---------------------------------------------------------------------------------

function headers(p: Printer, wide: boolean): string {
  return p.columns
    .filter((c) => wide || c.priority === 0)
    .map((c) => c.name.toUpperCase())
    .join(' | ');
}

test('column headers, plain and -o wide, are upstream’s', () => {
  const cases: [string, Printer, string, string][] = [
    [
      'daemonset',
      daemonSetPrinter,
      'NAME | DESIRED | CURRENT | READY | UP-TO-DATE | AVAILABLE | NODE SELECTOR | AGE',
      'NAME | DESIRED | CURRENT | READY | UP-TO-DATE | AVAILABLE | NODE SELECTOR | AGE | CONTAINERS | IMAGES | SELECTOR',
    ],
    [
      'pod',
      podPrinter,
      'NAME | READY | STATUS | RESTARTS | AGE',
      'NAME | READY | STATUS | RESTARTS | AGE | IP | NODE | NOMINATED NODE | READINESS GATES',
    ],
    [
      'node',
      nodePrinter,
      'NAME | STATUS | ROLES | AGE | VERSION',
      'NAME | STATUS | ROLES | AGE | VERSION | INTERNAL-IP | EXTERNAL-IP | OS-IMAGE | KERNEL-VERSION | CONTAINER-RUNTIME',
    ],
    ['namespace', namespacePrinter, 'NAME | STATUS | AGE', 'NAME | STATUS | AGE'],
    [
      'event',
      eventPrinter,
      'LAST SEEN | TYPE | REASON | OBJECT | MESSAGE',
      'LAST SEEN | TYPE | REASON | OBJECT | SUBOBJECT | SOURCE | MESSAGE | FIRST SEEN | COUNT | NAME',
    ],
    ['controllerrevision', controllerRevisionPrinter, 'NAME | CONTROLLER | REVISION | AGE', 'NAME | CONTROLLER | REVISION | AGE'],
    [
      'priorityclass',
      priorityClassPrinter,
      'NAME | VALUE | GLOBAL-DEFAULT | AGE | PREEMPTIONPOLICY',
      'NAME | VALUE | GLOBAL-DEFAULT | AGE | PREEMPTIONPOLICY',
    ],
    ['lease', leasePrinter, 'NAME | HOLDER | AGE', 'NAME | HOLDER | AGE'],
    ['default', defaultPrinter, 'NAME | AGE', 'NAME | AGE'],
  ];
  for (const [kind, printer, plain, wide] of cases) {
    assert.equal(headers(printer, false), plain, kind);
    assert.equal(headers(printer, true), wide, kind);
    const name = printer.columns.find((c) => c.name === 'Name');
    assert.equal(name?.format, 'name', `${kind}: Name column has format name`);
    for (const c of printer.columns) assert.ok(c.description, `${kind}/${c.name} has a description`);
    assert.equal(printer.cells(obj({ metadata: { name: 'x' } }), NOW).length, printer.columns.length, `${kind}: one cell per column`);
  }
  const typeOf = (p: Printer, n: string) => p.columns.find((c) => c.name === n)?.type;
  assert.equal(typeOf(daemonSetPrinter, 'Desired'), 'integer');
  assert.equal(typeOf(podPrinter, 'Restarts'), 'string');
  assert.equal(typeOf(priorityClassPrinter, 'Value'), 'integer');
  assert.equal(typeOf(priorityClassPrinter, 'Global-Default'), 'boolean');
});

// --- daemonsets ------------------------------------------------------------------------------

test('daemonset cells', () => {
  const cases: [string, KObject, unknown[]][] = [
    [
      'status 5/5/4/5/4, node selector, two containers, expression selector',
      obj({
        metadata: { name: 'fluentd', namespace: 'logging', creationTimestamp: ago(5 * M + 10 * S) },
        spec: {
          selector: {
            matchLabels: { name: 'fluentd' },
            matchExpressions: [{ key: 'tier', operator: 'In', values: ['logs', 'agents'] }],
          },
          template: {
            spec: {
              nodeSelector: { 'kubernetes.io/os': 'linux', disktype: 'ssd' },
              containers: [
                { name: 'fluentd', image: 'fluentd:v1.17' },
                { name: 'exporter', image: 'prom/fluentd-exporter:0.5' },
              ],
              initContainers: [{ name: 'setup', image: 'busybox' }],
            },
          },
        },
        status: {
          desiredNumberScheduled: 5,
          currentNumberScheduled: 5,
          numberReady: 4,
          updatedNumberScheduled: 5,
          numberAvailable: 4,
          numberMisscheduled: 0,
        },
      }),
      [
        'fluentd', 5, 5, 4, 5, 4, 'disktype=ssd,kubernetes.io/os=linux', '5m10s',
        'fluentd,exporter', 'fluentd:v1.17,prom/fluentd-exporter:0.5', 'name=fluentd,tier in (agents,logs)',
      ],
    ],
    [
      'fresh: no status yet, no node selector',
      obj({
        metadata: { name: 'agent', creationTimestamp: ago(3 * S) },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { containers: [{ name: 'a', image: 'agent:1' }] } } },
      }),
      ['agent', 0, 0, 0, 0, 0, '<none>', '3s', 'a', 'agent:1', 'app=agent'],
    ],
    [
      'empty-ish status: omitted counters print 0',
      obj({
        metadata: { name: 'd', creationTimestamp: ago(690 * D) },
        spec: {
          selector: { matchExpressions: [{ key: 'x', operator: 'Exists' }, { key: 'y', operator: 'DoesNotExist' }] },
          template: { spec: { nodeSelector: {}, containers: [{ name: 'c', image: 'i' }] } },
        },
        status: { desiredNumberScheduled: 2, currentNumberScheduled: 1, numberReady: 0, numberMisscheduled: 0 },
      }),
      ['d', 2, 1, 0, 0, 0, '<none>', '690d', 'c', 'i', 'x,!y'],
    ],
  ];
  for (const [name, ds, want] of cases) assert.deepEqual(daemonSetPrinter.cells(ds, NOW), want, name);
});

// --- pods ------------------------------------------------------------------------------------

const running = (restartCount = 0, extra: Record<string, unknown> = {}) => ({
  ready: true,
  restartCount,
  state: { running: { startedAt: ago(1 * H) } },
  ...extra,
});
const waiting = (reason: string, restartCount = 0, extra: Record<string, unknown> = {}) => ({
  ready: false,
  restartCount,
  state: { waiting: { reason } },
  ...extra,
});
const terminated = (t: Record<string, unknown>, restartCount = 0) => ({
  ready: false,
  restartCount,
  state: { terminated: { exitCode: 0, ...t } },
});
const lastFinished = (ms: number) => ({ lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(ms) } } });

interface PodShape {
  name?: string;
  phase?: string;
  reason?: string;
  containers?: string[];
  init?: { name: string; restartPolicy?: string }[];
  statuses?: Record<string, unknown>[];
  initStatuses?: Record<string, unknown>[];
  conditions?: { type: string; status: string; reason?: string }[];
  deleting?: boolean;
  wide?: Record<string, unknown>;
}

function pod(p: PodShape): KObject {
  const containers = p.containers ?? ['app'];
  const name = (list: { name: string }[] | string[], i: number) => {
    const c = list[i];
    return typeof c === 'string' ? c : c!.name;
  };
  return obj({
    metadata: {
      name: p.name ?? 'web-0',
      namespace: 'default',
      creationTimestamp: ago(4 * H),
      ...(p.deleting ? { deletionTimestamp: ago(10 * S), deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      containers: containers.map((n) => ({ name: n, image: `${n}:1` })),
      ...(p.init ? { initContainers: p.init.map((c) => ({ image: 'busybox', ...c })) } : {}),
      ...((p.wide?.spec as object) ?? {}),
    },
    status: {
      ...(p.phase ? { phase: p.phase } : {}),
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.conditions ? { conditions: p.conditions } : {}),
      ...(p.statuses ? { containerStatuses: p.statuses.map((s, i) => ({ name: name(containers, i), image: 'x', imageID: '', ...s })) } : {}),
      ...(p.initStatuses ? { initContainerStatuses: p.initStatuses.map((s, i) => ({ name: name(p.init!, i), image: 'x', imageID: '', ...s })) } : {}),
      ...((p.wide?.status as object) ?? {}),
    },
  });
}

test('pod READY / STATUS / RESTARTS / AGE', () => {
  const initialized = { type: 'Initialized', status: 'True' };
  const readyTrue = { type: 'Ready', status: 'True' };
  const cases: [string, PodShape, [string, string, string]][] = [
    ['running', { phase: 'Running', statuses: [running()] }, ['1/1', 'Running', '0']],
    ['pending, no statuses yet', { phase: 'Pending' }, ['0/1', 'Pending', '0']],
    ['no status at all', {}, ['0/1', '', '0']],
    ['container creating', { phase: 'Pending', statuses: [waiting('ContainerCreating')] }, ['0/1', 'ContainerCreating', '0']],
    ['image pull backoff', { phase: 'Pending', statuses: [waiting('ImagePullBackOff')] }, ['0/1', 'ImagePullBackOff', '0']],
    ['err image pull', { phase: 'Pending', statuses: [waiting('ErrImagePull')] }, ['0/1', 'ErrImagePull', '0']],
    [
      'crash loop with the last restart 45s ago',
      { phase: 'Running', statuses: [waiting('CrashLoopBackOff', 3, lastFinished(45 * S))] },
      ['0/1', 'CrashLoopBackOff', '3 (45s ago)'],
    ],
    [
      'restarts without a recorded finish time print the bare count',
      { phase: 'Running', statuses: [running(2)] },
      ['1/1', 'Running', '2'],
    ],
    [
      'restarts summed over containers, latest finish wins',
      {
        phase: 'Running',
        containers: ['a', 'b'],
        statuses: [running(1, lastFinished(3 * H)), running(4, lastFinished(5 * M + 30 * S))],
      },
      ['2/2', 'Running', '5 (5m30s ago)'],
    ],
    ['completed', { phase: 'Succeeded', statuses: [terminated({ reason: 'Completed' })] }, ['0/1', 'Completed', '0']],
    ['OOMKilled', { phase: 'Running', statuses: [terminated({ reason: 'OOMKilled', exitCode: 137 })] }, ['0/1', 'OOMKilled', '0']],
    ['Error', { phase: 'Failed', statuses: [terminated({ reason: 'Error', exitCode: 1 })] }, ['0/1', 'Error', '0']],
    ['killed by a signal, no reason', { phase: 'Failed', statuses: [terminated({ signal: 9, exitCode: 137 })] }, ['0/1', 'Signal:9', '0']],
    ['non-zero exit, no reason', { phase: 'Failed', statuses: [terminated({ exitCode: 1 })] }, ['0/1', 'ExitCode:1', '0']],
    ['evicted (status.reason)', { phase: 'Failed', reason: 'Evicted' }, ['0/1', 'Evicted', '0']],
    [
      'the first container’s state is the one shown',
      { phase: 'Pending', containers: ['a', 'b'], statuses: [waiting('ImagePullBackOff'), waiting('CrashLoopBackOff')] },
      ['0/2', 'ImagePullBackOff', '0'],
    ],
    ['terminating', { phase: 'Running', statuses: [running()], deleting: true }, ['1/1', 'Terminating', '0']],
    [
      'a finished pod being deleted keeps its status',
      { phase: 'Succeeded', statuses: [terminated({ reason: 'Completed' })], deleting: true },
      ['0/1', 'Completed', '0'],
    ],
    [
      'deleted on a lost node',
      { phase: 'Running', reason: 'NodeLost', statuses: [running()], deleting: true },
      ['1/1', 'Unknown', '0'],
    ],
    ['node lost, not deleted yet: status.reason shows', { phase: 'Running', reason: 'NodeLost', statuses: [running()] }, ['1/1', 'NodeLost', '0']],
    [
      'scheduling gated',
      { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
      ['0/1', 'SchedulingGated', '0'],
    ],
    [
      'unschedulable stays Pending',
      { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
      ['0/1', 'Pending', '0'],
    ],
    [
      'init container 2 of 2 running',
      {
        phase: 'Pending',
        init: [{ name: 'setup' }, { name: 'migrate' }],
        initStatuses: [terminated({ reason: 'Completed' }), running(0, { ready: false })],
        statuses: [waiting('PodInitializing')],
      },
      ['0/1', 'Init:1/2', '0'],
    ],
    [
      'init container waiting on PodInitializing counts as not started',
      { phase: 'Pending', init: [{ name: 'setup' }], initStatuses: [waiting('PodInitializing')], statuses: [waiting('PodInitializing')] },
      ['0/1', 'Init:0/1', '0'],
    ],
    [
      'init crash loop: restarts come from the init container',
      {
        phase: 'Pending',
        init: [{ name: 'setup' }],
        initStatuses: [waiting('CrashLoopBackOff', 2, lastFinished(3 * M))],
        statuses: [waiting('PodInitializing')],
      },
      ['0/1', 'Init:CrashLoopBackOff', '2 (3m ago)'],
    ],
    [
      'init container failed with a reason',
      { phase: 'Pending', init: [{ name: 'setup' }], initStatuses: [terminated({ reason: 'Error', exitCode: 1 }, 1)] },
      ['0/1', 'Init:Error', '1'],
    ],
    [
      'init container killed by a signal',
      { phase: 'Pending', init: [{ name: 'setup' }], initStatuses: [terminated({ signal: 9, exitCode: 137 })] },
      ['0/1', 'Init:Signal:9', '0'],
    ],
    [
      'init container non-zero exit',
      { phase: 'Pending', init: [{ name: 'setup' }], initStatuses: [terminated({ exitCode: 2 })] },
      ['0/1', 'Init:ExitCode:2', '0'],
    ],
    [
      'init containers done: their restarts no longer count',
      {
        phase: 'Running',
        init: [{ name: 'setup' }],
        initStatuses: [terminated({ reason: 'Completed' }, 4)],
        statuses: [running()],
        conditions: [initialized, readyTrue],
      },
      ['1/1', 'Running', '0'],
    ],
    [
      'sidecar counts as a container, and its restarts count',
      {
        phase: 'Running',
        init: [{ name: 'proxy', restartPolicy: 'Always' }],
        initStatuses: [running(1, { started: true, ...lastFinished(2 * M) })],
        statuses: [running()],
        conditions: [initialized, readyTrue],
      },
      ['2/2', 'Running', '1 (2m ago)'],
    ],
    [
      'sidecar started but not ready, then the next init container runs',
      {
        phase: 'Pending',
        init: [{ name: 'proxy', restartPolicy: 'Always' }, { name: 'setup' }],
        initStatuses: [running(0, { started: true, ready: false }), running(0, { ready: false })],
        statuses: [waiting('PodInitializing')],
      },
      ['0/2', 'Init:1/2', '0'],
    ],
    [
      'one container completed, one still running and the pod Ready',
      {
        phase: 'Running',
        containers: ['job', 'server'],
        statuses: [terminated({ reason: 'Completed' }), running()],
        conditions: [readyTrue],
      },
      ['1/2', 'Running', '0'],
    ],
    [
      'one container completed, one still running, pod not Ready',
      {
        phase: 'Running',
        containers: ['job', 'server'],
        statuses: [terminated({ reason: 'Completed' }), running()],
        conditions: [{ type: 'Ready', status: 'False' }],
      },
      ['1/2', 'NotReady', '0'],
    ],
  ];
  for (const [name, shape, [ready, status, restarts]] of cases) {
    const cells = podPrinter.cells(pod(shape), NOW);
    assert.deepEqual(cells.slice(0, 5), [shape.name ?? 'web-0', ready, status, restarts, '4h'], name);
  }
});

test('pod wide cells: IP, NODE, NOMINATED NODE, READINESS GATES', () => {
  const cases: [string, PodShape['wide'], string[]][] = [
    ['unscheduled', {}, ['<none>', '<none>', '<none>', '<none>']],
    ['podIP', { spec: { nodeName: 'node-1' }, status: { podIP: '10.244.1.5' } }, ['10.244.1.5', 'node-1', '<none>', '<none>']],
    ['only podIPs', { spec: { nodeName: 'node-1' }, status: { podIPs: [{ ip: 'fd00::5' }, { ip: '10.0.0.5' }] } }, ['fd00::5', 'node-1', '<none>', '<none>']],
    [
      'podIP wins over a disagreeing podIPs',
      { status: { podIP: '10.0.0.9', podIPs: [{ ip: '10.0.0.8' }] } },
      ['10.0.0.9', '<none>', '<none>', '<none>'],
    ],
    ['nominated', { status: { nominatedNodeName: 'node-2' } }, ['<none>', '<none>', 'node-2', '<none>']],
    [
      'readiness gates, one of two true',
      {
        spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
        status: { conditions: [{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }] },
      },
      ['<none>', '<none>', '<none>', '1/2'],
    ],
    [
      'readiness gate without a condition yet',
      { spec: { readinessGates: [{ conditionType: 'example.com/lb' }] } },
      ['<none>', '<none>', '<none>', '0/1'],
    ],
  ];
  for (const [name, wide, want] of cases) {
    assert.deepEqual(podPrinter.cells(pod({ phase: 'Pending', wide }), NOW).slice(5), want, name);
  }
});

// --- nodes -----------------------------------------------------------------------------------

function node(name: string, fields: { labels?: Record<string, string>; ready?: string; unschedulable?: boolean; status?: object }): KObject {
  return obj({
    metadata: { name, creationTimestamp: ago(3 * H), labels: fields.labels ?? { 'kubernetes.io/hostname': name } },
    spec: fields.unschedulable ? { unschedulable: true } : {},
    status: {
      ...(fields.ready ? { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: fields.ready }] } : {}),
      ...(fields.status ?? {}),
    },
  });
}

const nodeInfo = {
  nodeInfo: {
    kubeletVersion: 'v1.33.0',
    osImage: 'Ubuntu 24.04.2 LTS',
    kernelVersion: '6.8.0-60-generic',
    containerRuntimeVersion: 'containerd://1.7.27',
  },
  addresses: [
    { type: 'Hostname', address: 'node-1' },
    { type: 'InternalIP', address: '10.0.0.11' },
    { type: 'InternalIP', address: '10.0.0.12' },
    { type: 'ExternalIP', address: '203.0.113.7' },
  ],
};

test('node cells', () => {
  const cases: [string, KObject, unknown[]][] = [
    [
      'ready worker',
      node('node-1', { ready: 'True', status: nodeInfo }),
      ['node-1', 'Ready', '<none>', '3h', 'v1.33.0', '10.0.0.11', '203.0.113.7', 'Ubuntu 24.04.2 LTS', '6.8.0-60-generic', 'containerd://1.7.27'],
    ],
    [
      'cordoned NotReady control plane',
      node('cp-1', {
        ready: 'False',
        unschedulable: true,
        labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'cp-1' },
        status: { nodeInfo: { kubeletVersion: 'v1.32.4' }, addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] },
      }),
      ['cp-1', 'NotReady,SchedulingDisabled', 'control-plane', '3h', 'v1.32.4', '10.0.0.2', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
    [
      'cordoned and ready',
      node('node-2', { ready: 'True', unschedulable: true }),
      ['node-2', 'Ready,SchedulingDisabled', '<none>', '3h', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
    [
      'Ready condition Unknown reads NotReady',
      node('node-3', { ready: 'Unknown' }),
      ['node-3', 'NotReady', '<none>', '3h', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
    [
      'no Ready condition: Unknown',
      node('node-4', { unschedulable: true }),
      ['node-4', 'Unknown,SchedulingDisabled', '<none>', '3h', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
    [
      'roles: prefixed keys and kubernetes.io/role, sorted, deduplicated, empty names skipped',
      node('node-5', {
        ready: 'True',
        labels: {
          'node-role.kubernetes.io/worker': '',
          'node-role.kubernetes.io/ingress': 'true',
          'node-role.kubernetes.io/': '',
          'kubernetes.io/role': 'worker',
          'role.example.com/db': '',
        },
      }),
      ['node-5', 'Ready', 'ingress,worker', '3h', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
    [
      'legacy role label alone; empty value ignored',
      node('node-6', { ready: 'True', labels: { 'kubernetes.io/role': 'master' } }),
      ['node-6', 'Ready', 'master', '3h', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
    [
      'empty legacy role label',
      node('node-7', { ready: 'True', labels: { 'kubernetes.io/role': '' } }),
      ['node-7', 'Ready', '<none>', '3h', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
  ];
  for (const [name, n, want] of cases) assert.deepEqual(nodePrinter.cells(n, NOW), want, name);
});

// --- events ----------------------------------------------------------------------------------

test('event cells', () => {
  const base = {
    metadata: { name: 'fluentd.17e8a', namespace: 'logging', creationTimestamp: ago(20 * M) },
    involvedObject: { kind: 'DaemonSet', namespace: 'logging', name: 'fluentd', apiVersion: 'apps/v1' },
    type: 'Normal',
    reason: 'SuccessfulCreate',
    message: 'Created pod: fluentd-x7k2p',
    source: { component: 'daemonset-controller' },
  };
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    [
      'repeated 4 times',
      { firstTimestamp: ago(20 * M), lastTimestamp: ago(5 * M), count: 4 },
      ['5m', 'Normal', 'SuccessfulCreate', 'daemonset/fluentd', '', 'daemonset-controller', 'Created pod: fluentd-x7k2p', '20m', 4, 'fluentd.17e8a'],
    ],
    [
      'kubelet event on a container, with host, message trimmed',
      {
        involvedObject: { kind: 'Pod', name: 'fluentd-x7k2p', fieldPath: 'spec.containers{fluentd}' },
        type: 'Warning',
        reason: 'BackOff',
        message: '  Back-off restarting failed container fluentd\n',
        source: { component: 'kubelet', host: 'node-1' },
        firstTimestamp: ago(1 * H),
        lastTimestamp: ago(90 * S),
        count: 12,
      },
      ['90s', 'Warning', 'BackOff', 'pod/fluentd-x7k2p', 'spec.containers{fluentd}', 'kubelet, node-1', 'Back-off restarting failed container fluentd', '60m', 12, 'fluentd.17e8a'],
    ],
    [
      'new-API singleton: eventTime only, reporting controller and instance',
      {
        source: undefined,
        eventTime: '2025-06-01T11:59:15.000000Z',
        reportingComponent: 'everynode/daemonset-controller',
        reportingInstance: 'controller-0',
      },
      ['45s', 'Normal', 'SuccessfulCreate', 'daemonset/fluentd', '', 'everynode/daemonset-controller, controller-0', 'Created pod: fluentd-x7k2p', '45s', 1, 'fluentd.17e8a'],
    ],
    [
      'series: last seen and count from the series',
      { eventTime: ago(2 * H), series: { count: 7, lastObservedTime: ago(3 * M) }, count: 0 },
      ['3m', 'Normal', 'SuccessfulCreate', 'daemonset/fluentd', '', 'daemonset-controller', 'Created pod: fluentd-x7k2p', '120m', 7, 'fluentd.17e8a'],
    ],
    [
      'no last timestamp: last seen = first seen',
      { firstTimestamp: ago(8 * D), count: 1 },
      ['8d', 'Normal', 'SuccessfulCreate', 'daemonset/fluentd', '', 'daemonset-controller', 'Created pod: fluentd-x7k2p', '8d', 1, 'fluentd.17e8a'],
    ],
    [
      'no timestamps at all',
      { involvedObject: { kind: 'Node' }, source: {}, type: undefined },
      ['<unknown>', '', 'SuccessfulCreate', 'node', '', '', 'Created pod: fluentd-x7k2p', '<unknown>', 1, 'fluentd.17e8a'],
    ],
  ];
  for (const [name, fields, want] of cases) {
    assert.deepEqual(eventPrinter.cells(obj({ ...base, ...fields }), NOW), want, name);
  }
});

// --- the small kinds --------------------------------------------------------------------------

test('controllerrevision cells', () => {
  const owner = (o: Record<string, unknown>) => ({ uid: 'u1', name: 'fluentd', ...o });
  const cases: [string, unknown[] | undefined, unknown[]][] = [
    [
      'owned by a daemonset',
      [owner({ apiVersion: 'apps/v1', kind: 'DaemonSet', controller: true, blockOwnerDeletion: true })],
      ['fluentd-6b8f7c', 'daemonset.apps/fluentd', 2, '3h'],
    ],
    ['no owner', undefined, ['fluentd-6b8f7c', '<none>', 2, '3h']],
    ['owner that is not the controller', [owner({ apiVersion: 'apps/v1', kind: 'DaemonSet' })], ['fluentd-6b8f7c', '<none>', 2, '3h']],
    [
      'the controller among several owners, core group',
      [owner({ apiVersion: 'apps/v1', kind: 'DaemonSet', controller: false }), owner({ apiVersion: 'v1', kind: 'Pod', name: 'p', controller: true })],
      ['fluentd-6b8f7c', 'pod/p', 2, '3h'],
    ],
    [
      'custom group',
      [owner({ apiVersion: 'example.com/v1beta1', kind: 'NodeAgent', controller: true })],
      ['fluentd-6b8f7c', 'nodeagent.example.com/fluentd', 2, '3h'],
    ],
  ];
  for (const [name, ownerReferences, want] of cases) {
    const rev = obj({ metadata: { name: 'fluentd-6b8f7c', ownerReferences }, revision: 2, data: {} });
    assert.deepEqual(controllerRevisionPrinter.cells(rev, NOW), want, name);
  }
});

test('namespace, priorityclass, lease and default cells', () => {
  const cases: [string, Printer, KObject, unknown[]][] = [
    ['active namespace', namespacePrinter, obj({ metadata: { name: 'logging', creationTimestamp: ago(2 * D + 3 * H) }, status: { phase: 'Active' } }), ['logging', 'Active', '2d3h']],
    ['terminating namespace', namespacePrinter, obj({ metadata: { name: 'old' }, status: { phase: 'Terminating' } }), ['old', 'Terminating', '3h']],
    [
      'system priority class',
      priorityClassPrinter,
      obj({ metadata: { name: 'system-node-critical', creationTimestamp: ago(400 * D) }, value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }),
      ['system-node-critical', 2000001000, false, '400d', 'PreemptLowerPriority'],
    ],
    [
      'global default, never preempts',
      priorityClassPrinter,
      obj({ metadata: { name: 'batch' }, value: -5, globalDefault: true, preemptionPolicy: 'Never' }),
      ['batch', -5, true, '3h', 'Never'],
    ],
    ['held lease', leasePrinter, obj({ metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } }), ['node-1', 'node-1', '3h']],
    ['free lease', leasePrinter, obj({ metadata: { name: 'everynode-controller' }, spec: {} }), ['everynode-controller', '', '3h']],
    ['default', defaultPrinter, obj({ metadata: { name: 'anything', creationTimestamp: ago(4 * 365 * D) } }), ['anything', '4y']],
    ['default without creation time', defaultPrinter, { metadata: { name: 'new' } }, ['new', '<unknown>']],
  ];
  for (const [name, printer, o, want] of cases) assert.deepEqual(printer.cells(o, NOW), want, name);
});

// --- the Table object --------------------------------------------------------------------------

test('toTable builds a meta.k8s.io/v1 Table with PartialObjectMetadata rows', () => {
  const metadata = {
    name: 'logging',
    uid: '0b7c',
    resourceVersion: '17',
    creationTimestamp: ago(5 * M),
    labels: { team: 'obs' },
    annotations: { note: 'x' },
  };
  const table = toTable(namespacePrinter, [{ metadata, status: { phase: 'Active' } }], {
    listResourceVersion: '42',
    continue: 'tok',
    now: NOW,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(table)), {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '42', continue: 'tok' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: namespacePrinter.columns[0]!.description, priority: 0 },
      { name: 'Status', type: 'string', format: '', description: namespacePrinter.columns[1]!.description, priority: 0 },
      { name: 'Age', type: 'string', format: '', description: namespacePrinter.columns[2]!.description, priority: 0 },
    ],
    rows: [{ cells: ['logging', 'Active', '5m'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata } }],
  });
});

test('toTable: empty list, no continue, noHeaders, one-row watch table', () => {
  const empty = toTable(podPrinter, [], { listResourceVersion: '9', now: NOW });
  assert.deepEqual(empty.rows, []);
  assert.deepEqual(empty.metadata, { resourceVersion: '9' });
  assert.equal(empty.columnDefinitions.length, podPrinter.columns.length);

  const ns = obj({ metadata: { name: 'a', resourceVersion: '12' }, status: { phase: 'Active' } });
  const event = toTable(namespacePrinter, [ns], { listResourceVersion: '12', now: NOW, noHeaders: true });
  assert.deepEqual(event.columnDefinitions, []);
  assert.equal(event.rows.length, 1);
  assert.deepEqual(event.rows[0]!.cells, ['a', 'Active', '3h']);
  assert.equal(event.rows[0]!.object.metadata, ns.metadata);
});

// --- end to end through the real kubectl --------------------------------------------------------

const KUBECTL_DIR = (() => {
  try {
    return dirname(execFileSync('readlink', ['-f', execFileSync('sh', ['-c', 'command -v kubectl']).toString().trim()]).toString().trim());
  } catch {
    return '';
  }
})();

interface Served {
  printer: Printer;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  items: KObject[];
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A tiny API server: legacy discovery plus Table lists of fixed objects. */
function fakeApiServer(groups: Record<string, Record<string, Served>>): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (body: unknown, code = 200) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = url.pathname;
    if (path === '/version') return send({ major: '1', minor: '33', gitVersion: 'v1.33.0' });
    if (path === '/api') return send({ kind: 'APIVersions', versions: ['v1'] });
    if (path === '/apis') {
      return send({
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
      });
    }
    for (const [prefix, resources] of Object.entries(groups)) {
      const groupVersion = prefix === '/api/v1' ? 'v1' : prefix.slice('/apis/'.length);
      if (path === prefix) {
        return send({
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion,
          resources: Object.entries(resources).map(([name, r]) => ({
            name,
            singularName: r.kind.toLowerCase(),
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: VERBS,
            shortNames: r.shortNames,
          })),
        });
      }
      if (!path.startsWith(`${prefix}/`)) continue;
      const parts = path.slice(prefix.length + 1).split('/');
      const [namespace, resource] = parts.length === 3 && parts[0] === 'namespaces' ? [parts[1], parts[2]] : [undefined, parts[0]];
      const served = resources[resource!];
      if (!served || parts.length > 3) break;
      const items = served.items.filter((o) => namespace === undefined || o.metadata.namespace === namespace);
      if (!(req.headers.accept ?? '').includes('as=Table')) return send({ kind: `${served.kind}List`, apiVersion: groupVersion, metadata: { resourceVersion: '100' }, items });
      return send(toTable(served.printer, items, { listResourceVersion: '100', now: NOW }));
    }
    send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }, 404);
  });
}

const fixtures = {
  daemonSets: [
    obj({
      metadata: { name: 'fluentd', namespace: 'x', uid: 'd1', creationTimestamp: ago(5 * M + 10 * S), labels: { app: 'fluentd' } },
      spec: {
        selector: { matchLabels: { name: 'fluentd' } },
        template: {
          spec: {
            nodeSelector: { disktype: 'ssd' },
            containers: [
              { name: 'fluentd', image: 'fluentd:v1.17' },
              { name: 'exporter', image: 'prom/exporter:0.5' },
            ],
          },
        },
      },
      status: { desiredNumberScheduled: 5, currentNumberScheduled: 5, numberReady: 4, updatedNumberScheduled: 5, numberAvailable: 4, numberMisscheduled: 0 },
    }),
    obj({
      metadata: { name: 'node-exporter', namespace: 'x', uid: 'd2', creationTimestamp: ago(690 * D) },
      spec: { selector: { matchLabels: { app: 'node-exporter' } }, template: { spec: { containers: [{ name: 'ne', image: 'prom/node-exporter:1.8' }] } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberMisscheduled: 0 },
    }),
  ],
  nodes: [
    node('cp-1', {
      ready: 'False',
      unschedulable: true,
      labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'cp-1', 'kubernetes.io/os': 'linux' },
      status: { nodeInfo: { kubeletVersion: 'v1.33.0' } },
    }),
    node('node-1', { ready: 'True', labels: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/arch': 'amd64', disktype: 'ssd' }, status: nodeInfo }),
  ],
  pods: [
    pod({
      name: 'fluentd-x7k2p',
      phase: 'Running',
      statuses: [waiting('CrashLoopBackOff', 3, lastFinished(45 * S))],
      wide: { spec: { nodeName: 'node-1' }, status: { podIP: '10.244.1.5' } },
    }),
    (() => {
      const p = pod({ name: 'web-0', phase: 'Running', statuses: [running()], wide: { spec: { nodeName: 'node-1' }, status: { podIP: '10.244.1.6' } } });
      p.metadata.namespace = 'shop';
      return p;
    })(),
  ],
};

async function kubectl(version: string, env: { kubeconfig: string; cacheDir: string }, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      join(KUBECTL_DIR, `kubectl.${version}`),
      ['--kubeconfig', env.kubeconfig, '--cache-dir', env.cacheDir, ...args],
      { timeout: 30_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

test('real kubectl prints the server tables exactly', { skip: !existsSync(join(KUBECTL_DIR, 'kubectl.1.33')) && 'kubectl.1.33 not installed' }, async () => {
  const server = fakeApiServer({
    '/apis/apps/v1': {
      daemonsets: { printer: daemonSetPrinter, kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], items: fixtures.daemonSets },
    },
    '/api/v1': {
      nodes: { printer: nodePrinter, kind: 'Node', namespaced: false, shortNames: ['no'], items: fixtures.nodes },
      pods: { printer: podPrinter, kind: 'Pod', namespaced: true, shortNames: ['po'], items: fixtures.pods },
      namespaces: { printer: namespacePrinter, kind: 'Namespace', namespaced: false, shortNames: ['ns'], items: [] },
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'printers-kubectl-'));
  try {
    const port = (server.address() as AddressInfo).port;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: t, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        'users: [{name: t, user: {token: test-token}}]',
        'contexts: [{name: t, context: {cluster: t, user: t, namespace: default}}]',
        'current-context: t',
        '',
      ].join('\n'),
    );
    const expected: [string[], string][] = [
      [
        ['get', 'ds', '-n', 'x'],
        [
          'NAME            DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE',
          'fluentd         5         5         4       5            4           disktype=ssd    5m10s',
          'node-exporter   3         3         3       3            3           <none>          690d',
        ].join('\n'),
      ],
      [
        ['get', 'ds', '-n', 'x', '-o', 'wide'],
        [
          'NAME            DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE     CONTAINERS         IMAGES                            SELECTOR',
          'fluentd         5         5         4       5            4           disktype=ssd    5m10s   fluentd,exporter   fluentd:v1.17,prom/exporter:0.5   name=fluentd',
          'node-exporter   3         3         3       3            3           <none>          690d    ne                 prom/node-exporter:1.8            app=node-exporter',
        ].join('\n'),
      ],
      [
        ['get', 'nodes', '--show-labels'],
        [
          'NAME     STATUS                        ROLES           AGE   VERSION   LABELS',
          'cp-1     NotReady,SchedulingDisabled   control-plane   3h    v1.33.0   kubernetes.io/hostname=cp-1,kubernetes.io/os=linux,node-role.kubernetes.io/control-plane=',
          'node-1   Ready                         <none>          3h    v1.33.0   disktype=ssd,kubernetes.io/arch=amd64,kubernetes.io/hostname=node-1',
        ].join('\n'),
      ],
      [
        ['get', 'pods', '-o', 'wide', '-A'],
        [
          'NAMESPACE   NAME            READY   STATUS             RESTARTS      AGE   IP           NODE     NOMINATED NODE   READINESS GATES',
          'default     fluentd-x7k2p   0/1     CrashLoopBackOff   3 (45s ago)   4h    10.244.1.5   node-1   <none>           <none>',
          'shop        web-0           1/1     Running            0             4h    10.244.1.6   node-1   <none>           <none>',
        ].join('\n'),
      ],
      [['get', 'ns'], ''],
    ];
    for (const version of ['1.33', '1.27']) {
      const cacheDir = join(dir, `cache-${version}`);
      for (const [args, want] of expected) {
        const out = await kubectl(version, { kubeconfig, cacheDir }, args);
        assert.equal(out.trimEnd(), want, `kubectl.${version} ${args.join(' ')}`);
      }
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
