/** @module Waiting for the operator (or the orchestrator) to ask a service to stop. */
import type { Logger } from '../log/logger.js';

/** Resolves on the first SIGTERM or SIGINT, logging which one arrived. */
export function untilStopSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info('shutting down', { signal });
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
