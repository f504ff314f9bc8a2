import type { ArtifactStore } from '../../ports/artifact-store.js';

/**
 * A stack job's log in the store, `runs/<runId>/logs/<index>-<overlay>.log`: every line the runner
 * emits (already redacted), so `stageline logs` and `status` show what the provisioner said, in
 * AWS and locally alike. Written every {@link JOB_LOG_FLUSH_MS} and when the job ends; capped at
 * {@link JOB_LOG_MAX_BYTES}: the first quarter and the newest lines are kept, with one line saying
 * how many were left out between them (the end of a failed apply is what matters most).
 */
export const JOB_LOG_MAX_BYTES = 1024 * 1024;
export const JOB_LOG_FLUSH_MS = 2_000;

export const jobLogKey = (runId: string, taskIndex: number, overlay: string) => `runs/${runId}/logs/${taskIndex}-${overlay}.log`;
export const jobLogsPrefix = (runId: string) => `runs/${runId}/logs/`;

export interface JobLog {
  /** Adds one line (no newline). */
  append(line: string): void;
  /** Writes what is buffered; resolves once it is in the store (errors are swallowed: a log never fails the job). */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

export function storeJobLog(store: ArtifactStore, key: string, options: { maxBytes?: number; flushMs?: number } = {}): JobLog {
  const maxBytes = options.maxBytes ?? JOB_LOG_MAX_BYTES;
  const headBudget = Math.floor(maxBytes / 4);
  const head: string[] = [];
  let headBytes = 0;
  let tail: string[] = [];
  let tailBytes = 0;
  let omitted = 0;
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();

  const text = () => {
    const gap = omitted > 0 ? [`… ${omitted} line${omitted === 1 ? '' : 's'} left out (the log keeps its first ${headBudget} bytes and its newest lines) …`] : [];
    return `${[...head, ...gap, ...tail].join('\n')}\n`;
  };
  const flush = () => {
    if (!dirty) return writing;
    dirty = false;
    const body = text();
    writing = writing.then(() => store.put(key, body).then(() => undefined, () => undefined));
    return writing;
  };
  const timer = setInterval(() => void flush(), options.flushMs ?? JOB_LOG_FLUSH_MS);
  timer.unref?.();

  return {
    append(line) {
      const bytes = Buffer.byteLength(line, 'utf8') + 1;
      dirty = true;
      if (omitted === 0 && tail.length === 0 && headBytes + bytes <= headBudget) {
        head.push(line);
        headBytes += bytes;
        return;
      }
      tail.push(line);
      tailBytes += bytes;
      let drop = 0;
      while (tailBytes > maxBytes - headBytes && drop < tail.length - 1) {
        tailBytes -= Buffer.byteLength(tail[drop]!, 'utf8') + 1;
        drop++;
      }
      if (drop > 0) {
        tail = tail.slice(drop);
        omitted += drop;
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/** The last `count` lines of a stored job log (for `status` on a failed job); empty when there is none. */
export async function lastLogLines(store: ArtifactStore, key: string, count: number): Promise<string[]> {
  const object = await store.get(key).catch(() => undefined);
  if (!object) return [];
  const lines = object.body.replace(/\n$/, '').split('\n');
  return lines.slice(-count);
}
