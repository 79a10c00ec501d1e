import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemdUnit, systemdWord, unitArgs } from '../../src/agent/systemd-unit.js';
import { parseTaints, UsageError } from '../../src/cli/agent.js';

test('--taints: key=value:Effect and key:Effect, comma-separated', () => {
  const cases: Array<[string | undefined, unknown[]]> = [
    [undefined, []],
    ['', []],
    ['dedicated=gpu:NoSchedule', [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]],
    ['example.com/maintenance:NoExecute', [{ key: 'example.com/maintenance', effect: 'NoExecute' }]],
    ['a=:PreferNoSchedule', [{ key: 'a', value: '', effect: 'PreferNoSchedule' }]],
    [
      'a=1:NoSchedule, b:NoExecute',
      [
        { key: 'a', value: '1', effect: 'NoSchedule' },
        { key: 'b', effect: 'NoExecute' },
      ],
    ],
    ['k=v:w:NoSchedule', [{ key: 'k', value: 'v:w', effect: 'NoSchedule' }]],
  ];
  for (const [text, taints] of cases) assert.deepEqual(parseTaints(text), taints, text);
  for (const bad of ['dedicated=gpu', 'dedicated=gpu:Sometimes', ':NoSchedule', '=v:NoSchedule', 'k=v:noschedule']) {
    assert.throws(() => parseTaints(bad), UsageError, bad);
  }
});

test('the unit runs the same agent: --print-systemd-unit dropped, paths made absolute', () => {
  const cases: Array<[string[], string[]]> = [
    [
      ['--server', 'https://10.0.0.1:6443', '--token-file', 'agent-token', '--print-systemd-unit'],
      ['--server', 'https://10.0.0.1:6443', '--token-file', '/etc/everynode/agent-token'],
    ],
    [
      ['--state-dir=state', '--ca-file', '/abs/ca.crt', '--pod-manifest-path', '../manifests', '--name', 'web-1'],
      ['--state-dir=/etc/everynode/state', '--ca-file', '/abs/ca.crt', '--pod-manifest-path', '/etc/manifests', '--name', 'web-1'],
    ],
    [['--labels', 'a=b', '--runtime', 'podman'], ['--labels', 'a=b', '--runtime', 'podman']],
  ];
  for (const [args, want] of cases) assert.deepEqual(unitArgs(args, '/etc/everynode'), want, args.join(' '));
});

test('ExecStart words are quoted and escaped for systemd', () => {
  const cases: Array<[string, string]> = [
    ['/usr/bin/node', '/usr/bin/node'],
    ['--labels=a=b,c=d', '--labels=a=b,c=d'],
    ['has space', '"has space"'],
    ['100%', '100%%'],
    ['$HOME', '"$$HOME"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['', '""'],
  ];
  for (const [word, quoted] of cases) assert.equal(systemdWord(word), quoted, word);
});

test('the unit: simple service, restarted always, stopping only the agent process', () => {
  const unit = systemdUnit({ node: '/usr/bin/node', script: '/opt/everynode/bin/everynode.js', args: ['--server', 'https://10.0.0.1:6443', '--labels', 'zone=a b'], nodeName: 'web-1' });
  const lines = unit.split('\n');
  for (const line of ['[Unit]', 'Description=everynode agent (node web-1)', '[Service]', 'Type=simple', 'Restart=always', 'KillMode=process', '[Install]', 'WantedBy=multi-user.target']) {
    assert.ok(lines.includes(line), line);
  }
  assert.ok(lines.includes('ExecStart=/usr/bin/node /opt/everynode/bin/everynode.js agent --server https://10.0.0.1:6443 --labels "zone=a b"'));
});
