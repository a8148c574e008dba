/**
 * @module Log lines gathered and written in one call: by default those of one turn of the event
 * loop, or of a longer delay the owner schedules (the edge: 10 ms).
 *
 * Why: Node writes to stderr synchronously when it is a pipe or a file, one system call per
 * line. At 10k+ requests a second each access line's own `write` cost the edge as much as
 * formatting it (load/, edge-small-blobs). Queued lines go out together, in order, when the
 * schedule fires, or at once past `maxBytes`. What it must not do: lose or reorder lines. The
 * owner calls `flush` before the process exits (`process.on('exit')`), and before writing to
 * the same stream directly. Lines queued when the process is killed (SIGKILL) are lost.
 */

export interface BatchedWrite {
  /** Queues `line` (which ends with its newline); it is written when the schedule fires. */
  write(line: string): void;
  /** Writes every queued line now, in one call. */
  flush(): void;
}

export interface BatchedWriteOptions {
  /** Queued text beyond which it is written at once. Default 64 KiB. */
  maxBytes?: number;
  /** Runs `flush` later: once the current turn is over by default (`setImmediate`). */
  schedule?: (flush: () => void) => void;
}

export function createBatchedWrite(sink: (text: string) => void, options: BatchedWriteOptions = {}): BatchedWrite {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const schedule = options.schedule ?? ((flush: () => void) => void setImmediate(flush));
  let queued = '';
  let scheduled = false;
  const flush = (): void => {
    if (queued === '') return;
    const text = queued;
    queued = '';
    sink(text);
  };
  const flushScheduled = (): void => {
    scheduled = false;
    flush();
  };
  return {
    flush,
    write(line) {
      queued += line;
      if (queued.length >= maxBytes) return flush();
      if (!scheduled) {
        scheduled = true;
        schedule(flushScheduled);
      }
    },
  };
}
