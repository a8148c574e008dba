/**
 * @module CPU time (user + system) a process has used, read from `/proc/<pid>/stat`.
 *
 * On a two-core machine a server and its client compete for the CPU, so seconds of CPU per
 * operation say more about a server's efficiency than wall-clock time alone.
 */
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK`, asked once (100 on every common Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of `pid` in seconds; undefined when the process is gone. */
export async function readCpuSeconds(pid: number): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5); index 0 here is field 3.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / clockTicks();
}
