// The `everynode` command line (design.md §5).
import { Command, Option } from 'commander';
import { runServer, type ServerFlags } from './server.js';
import { controllerList, duration, positiveInt, wholeNumber } from './parse.js';
import { CONTROLLER_NAMES, parseControllerList } from '../controllers/manager.js';
import { DEFAULT_AGENT_STATE_DIR, runAgent, type AgentCommandOptions } from './agent.js';
import { RUNTIME_KINDS } from '../agent/container-runtimes.js';
import { DEFAULT_MAX_PODS } from '../agent/host-measurements.js';
import { DEFAULT_KUBELET_PORT } from '../agent/node-status.js';
import { runUp, type UpFlags } from './up.js';

const program = new Command()
  .name('everynode')
  .description('A lightweight, Kubernetes-compatible control plane for DaemonSets.')
  .showHelpAfterError();

const logLevel = new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default('info');

program
  .command('server')
  .description('run the API server, storage and controllers')
  .requiredOption('--data-dir <dir>', 'where the database, credentials and kubeconfig live')
  .option('--port <port>', 'HTTPS port (0 picks a free one)', (v) => parseInt(v, 10), 6443)
  .option('--bind <addr>', 'address to listen on', '127.0.0.1')
  .option('--burst-replicas <n>', 'most daemon pods created or deleted per DaemonSet sync', positiveInt, 250)
  .option('--node-monitor-grace-period <duration>', 'silence after which a node becomes NotReady (e.g. 40s, 2m)', duration, 40)
  .option('--node-monitor-period <duration>', 'how often node health is checked', duration, 5)
  .option('--controllers <list>', `controllers to run: * for all, -name to leave one out (${CONTROLLER_NAMES.join(', ')})`, controllerList, parseControllerList('*'))
  .addOption(logLevel)
  .action(async (opts: ServerFlags) => {
    await runServer(opts);
  });

program
  .command('agent')
  .description("join a cluster as this host's node agent (or as N simulated nodes with --simulate N)")
  .requiredOption('--server <url>', 'the API server URL, e.g. https://127.0.0.1:6443')
  .requiredOption('--token-file <file>', "the agent token (the server's DIR/agent-token)")
  .option('--ca-file <file>', 'the cluster CA certificate (default: pki/ca.crt beside the token file)')
  .option('--name <name>', 'the node name (default: the hostname, lower-cased)')
  .option('--labels <k=v,...>', 'extra labels for the node (for every node with --simulate)')
  .option('--taints <k=v:Effect,...>', 'taints the node is registered with (NoSchedule, PreferNoSchedule, NoExecute)')
  .addOption(new Option('--runtime <runtime>', 'how containers run').choices([...RUNTIME_KINDS]).default('process'))
  .option('--state-dir <dir>', 'where the agent keeps its credential, container state and logs', DEFAULT_AGENT_STATE_DIR)
  .option('--pod-manifest-path <dir>', 'run the static pod manifests of this folder')
  .option('--max-pods <n>', 'pods this node can run (its pods capacity)', positiveInt, DEFAULT_MAX_PODS)
  .option('--port <port>', 'HTTPS port of the log endpoint the API server calls (0 picks a free one)', wholeNumber, DEFAULT_KUBELET_PORT)
  .option('--print-systemd-unit', 'print a systemd unit running this agent with these flags, and exit')
  .option('--simulate <n>', 'run N simulated nodes in this process', wholeNumber)
  .option('--name-prefix <prefix>', 'simulated node names: <prefix>0, <prefix>1, ...', 'sim-')
  .option('--ready-delay-ms <ms>', 'how long a simulated pod takes to become Running and Ready', wholeNumber, 200)
  .option('--node-lease-renew-interval <duration>', "how often each node's Lease is renewed (shorter than the server's --node-monitor-grace-period)", duration, 10)
  .addOption(logLevel)
  .action(async (opts: AgentCommandOptions) => {
    await runAgent(opts);
  });

program
  .command('up')
  .description('a server and an agent for this host in one process: a one-node cluster to try everynode')
  .option('--data-dir <dir>', 'the state folder (server files; the agent in DIR/agent)', '.everynode')
  .option('--port <port>', 'HTTPS port of the API server (0 picks a free one)', wholeNumber, 6443)
  .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(['trace', 'debug', 'info', 'warn', 'error']).default('warn'))
  .action(async (opts: UpFlags) => {
    await runUp(opts);
  });

await program.parseAsync(process.argv);
