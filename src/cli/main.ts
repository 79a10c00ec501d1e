// The `everynode` command line (design.md §5).
import { Command, Option } from 'commander';
import { runServer } from './server.js';

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
  .addOption(logLevel)
  .action(async (opts: { dataDir: string; port: number; bind: string; logLevel: string }) => {
    await runServer(opts);
  });

await program.parseAsync(process.argv);
