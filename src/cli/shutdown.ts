// SIGTERM / SIGINT handling shared by the long-running commands: the first signal runs `stop`
// and exits 0 when it is done (1 if it failed); `isStopping` lets start-up code notice.
import type { Logger } from 'pino';

export interface Shutdown {
  isStopping(): boolean;
}

export function onShutdown(log: Logger, stop: (signal: string) => Promise<unknown>, opts: { secondSignalExits?: boolean } = {}): Shutdown {
  let stopping = false;
  const handle = (signal: string): void => {
    if (stopping) {
      if (!opts.secondSignalExits) return;
      log.warn({ signal }, 'stopping at once');
      process.exit(1);
    }
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
  return { isStopping: () => stopping };
}
