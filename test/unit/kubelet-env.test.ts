import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1.js';
import { ContainerConfigError, containerEnv, expandCommand, expandVars, type EnvContext } from '../../src/agent/kubelet/env.js';

const pod: Pod = {
  metadata: { name: 'web-1', namespace: 'prod', uid: 'u-123', labels: { app: 'web', 'tier.io/x': 'front' }, annotations: { owner: 'me' } },
  spec: { nodeName: 'node-a', serviceAccountName: 'sa', containers: [] },
};
const ctx: EnvContext = { pod, hostIPs: ['10.0.0.1', 'fd00::1'], podIPs: ['10.0.0.1'], allocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' } };

function env(vars: EnvVar[], extra: Partial<Container> = {}): Record<string, string> {
  return containerEnv({ name: 'c', env: vars, ...extra }, ctx);
}

test('$(VAR) expansion follows upstream rules', () => {
  const vars = { A: 'a', B: 'b$(A)', EMPTY: '' };
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['$(A)', 'a'],
    ['x$(A)y$(A)', 'xaya'],
    ['$(B)', 'b$(A)'], // values are not expanded twice
    ['$(EMPTY)|', '|'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['$$$(A)', '$a'],
    ['$A', '$A'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$(A', '$(A'],
    ['$(', '$('],
    ['$()', '$()'],
    ['$(A)$(', 'a$('],
    ['100$', '100$'],
  ];
  for (const [input, want] of cases) assert.equal(expandVars(input, vars), want, input);
});

test('literal values see only the variables defined before them', () => {
  const got = env([
    { name: 'FIRST', value: 'one' },
    { name: 'SECOND', value: '$(FIRST)-$(THIRD)' },
    { name: 'THIRD', value: 'three' },
    { name: 'ESCAPED', value: '$$(FIRST)' },
    { name: 'EMPTY', value: '' },
    { name: 'FIRST', value: 'redefined $(FIRST)' },
  ]);
  assert.deepEqual(got, { FIRST: 'redefined one', SECOND: 'one-$(THIRD)', THIRD: 'three', ESCAPED: '$(FIRST)', EMPTY: '' });
});

test('fieldRef reads the downward API fields', () => {
  const cases: Array<[string, string]> = [
    ['metadata.name', 'web-1'],
    ['metadata.namespace', 'prod'],
    ['metadata.uid', 'u-123'],
    ["metadata.labels['app']", 'web'],
    ["metadata.labels['tier.io/x']", 'front'],
    ["metadata.labels['absent']", ''],
    ["metadata.annotations['owner']", 'me'],
    ['spec.nodeName', 'node-a'],
    ['spec.serviceAccountName', 'sa'],
    ['status.hostIP', '10.0.0.1'],
    ['status.hostIPs', '10.0.0.1,fd00::1'],
    ['status.podIP', '10.0.0.1'],
    ['status.podIPs', '10.0.0.1'],
  ];
  for (const [fieldPath, want] of cases) {
    assert.deepEqual(env([{ name: 'V', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } }]), { V: want }, fieldPath);
  }
  assert.throws(() => env([{ name: 'V', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }]), ContainerConfigError);
});

test('valueFrom values are not expanded, but later values can use them', () => {
  const got = env([
    { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    { name: 'URL', value: 'http://$(NODE):8080' },
  ]);
  assert.deepEqual(got, { NODE: 'node-a', URL: 'http://node-a:8080' });
});

test('resourceFieldRef: limits and requests in divisor units, rounded up, unset limits from the node', () => {
  const resources = { limits: { cpu: '250m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } };
  const cases: Array<[string, string | undefined, Container['resources'], string]> = [
    ['limits.cpu', undefined, resources, '1'],
    ['limits.cpu', '1m', resources, '250'],
    ['limits.cpu', '100m', resources, '3'],
    ['requests.cpu', '1m', resources, '100'],
    ['limits.memory', undefined, resources, String(128 * 1024 * 1024)],
    ['limits.memory', '1Mi', resources, '128'],
    ['requests.memory', '1Mi', resources, '64'],
    ['requests.memory', '1M', resources, '68'],
    ['limits.cpu', undefined, {}, '4'],
    ['limits.memory', '1Gi', {}, '8'],
    ['limits.ephemeral-storage', '1Gi', {}, '100'],
    ['requests.cpu', undefined, {}, '0'],
  ];
  for (const [resource, divisor, res, want] of cases) {
    const got = env([{ name: 'R', valueFrom: { resourceFieldRef: { resource, ...(divisor ? { divisor } : {}) } } }], { resources: res });
    assert.equal(got.R, want, `${resource} / ${divisor}`);
  }
  assert.throws(() => env([{ name: 'R', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }]), /unsupported container resource : limits.gpu/);
});

test('ConfigMap and Secret references: missing, so optional ones are skipped and others fail as upstream', () => {
  const cases: Array<[Container, string | Record<string, string>]> = [
    [{ name: 'c', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, 'secret "creds" not found'],
    [{ name: 'c', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, 'configmap "cfg" not found'],
    [{ name: 'c', envFrom: [{ secretRef: { name: 's' } }] }, 'secret "s" not found'],
    [{ name: 'c', envFrom: [{ configMapRef: { name: 'm' } }] }, 'configmap "m" not found'],
    [{ name: 'c', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'k', optional: true } } }, { name: 'B', value: '$(A)' }] }, { B: '$(A)' }],
    [{ name: 'c', envFrom: [{ configMapRef: { name: 'm', optional: true } }], env: [{ name: 'B', value: 'b' }] }, { B: 'b' }],
  ];
  for (const [container, want] of cases) {
    if (typeof want === 'string') {
      assert.throws(
        () => containerEnv(container, ctx),
        (err: unknown) => err instanceof ContainerConfigError && err.message === want,
        want,
      );
    } else assert.deepEqual(containerEnv(container, ctx), want);
  }
});

test('command and args are expanded from the final environment', () => {
  const container: Container = {
    name: 'c',
    command: ['/bin/sh', '-c', 'echo $(MSG) $$(MSG) $(NOPE)'],
    args: ['$(NODE)', '$HOME'],
  };
  const e = { MSG: 'hi', NODE: 'node-a' };
  assert.deepEqual(expandCommand(container, e), { command: ['/bin/sh', '-c', 'echo hi $(MSG) $(NOPE)'], args: ['node-a', '$HOME'] });
  assert.deepEqual(expandCommand({ name: 'c' }, e), {});
});
