/**
 * @module Everything a benchmark run started, so that it is stopped whatever happens.
 *
 * Disposers (stop a server, remove a directory) run in reverse order of registration, each
 * bounded in time. Child processes are also tracked on their own: if the harness exits
 * without reaching its cleanup (an uncaught error, a second Ctrl-C), the `exit` hook kills
 * whatever is still alive, synchronously, so no server outlives the run.
 */
import type { ChildProcess } from 'node:child_process';

interface Disposer {
  label: string;
  dispose: () => Promise<void>;
}

export class Cleanup {
  readonly #disposers: Disposer[] = [];
  readonly #children = new Set<ChildProcess>();
  readonly #timeoutMs: number;
  readonly #onExit = () => {
    for (const child of this.#children) child.kill('SIGKILL');
  };

  /** @param timeoutMs how long one disposer may take before it is abandoned. */
  constructor(timeoutMs = 30_000) {
    this.#timeoutMs = timeoutMs;
    process.on('exit', this.#onExit);
  }

  /**
   * Registers `dispose` to run at the end. Returns a function that runs it now instead
   * (once), for resources whose life ends before the run's.
   */
  defer(label: string, dispose: () => Promise<void>): () => Promise<void> {
    const entry: Disposer = { label, dispose };
    this.#disposers.push(entry);
    return async () => {
      const index = this.#disposers.indexOf(entry);
      if (index === -1) return;
      this.#disposers.splice(index, 1);
      await this.#bounded(entry);
    };
  }

  /** Kills `child` with SIGKILL if the harness exits while it still runs. */
  track(child: ChildProcess): void {
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
  }

  /** Runs every pending disposer, last registered first; errors are reported, not thrown. */
  async runAll(report: (message: string) => void): Promise<void> {
    while (this.#disposers.length > 0) {
      const entry = this.#disposers.pop()!;
      try {
        await this.#bounded(entry);
      } catch (err) {
        report(`cleanup "${entry.label}" failed: ${(err as Error).message}`);
      }
    }
    this.#onExit();
    process.off('exit', this.#onExit);
  }

  async #bounded(entry: Disposer): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      await Promise.race([entry.dispose(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
