// The `everynode` command line (design.md §5).
import { Command, Option } from 'commander';
import { runServer, type ServerFlags } from './server.js';
import { controllerList, duration, positiveInt, wholeNumber } from './parse.js';
import { CONTROLLER_NAMES, parseControllerList } from '../controllers/manager.js';
import { runAgent, type AgentCommandOptions } from './agent.js';

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
  .description('join a cluster as node agent; for now only --simulate N (simulated nodes)')
  .requiredOption('--server <url>', 'the API server URL, e.g. https://127.0.0.1:6443')
  .requiredOption('--token-file <file>', "the agent token (the server's DIR/agent-token)")
  .option('--ca-file <file>', 'the cluster CA certificate (default: pki/ca.crt beside the token file)')
  .option('--simulate <n>', 'run N simulated nodes in this process', wholeNumber)
  .option('--name-prefix <prefix>', 'simulated node names: <prefix>0, <prefix>1, ...', 'sim-')
  .option('--labels <k=v,...>', 'extra labels for every node')
  .option('--ready-delay-ms <ms>', 'how long a simulated pod takes to become Running and Ready', wholeNumber, 200)
  .option('--node-lease-renew-interval <duration>', "how often each node's Lease is renewed (shorter than the server's --node-monitor-grace-period)", duration, 10)
  .addOption(logLevel)
  .action(async (opts: AgentCommandOptions) => {
    await runAgent(opts);
  });

await program.parseAsync(process.argv);
