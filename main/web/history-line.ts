/**
 * @module A history entry's `created_by` as the Dockerfile line that made it. Builders record the
 * shell form: the classic builder writes `/bin/sh -c #(nop)  CMD ["sh"]` for instructions that run
 * nothing and `/bin/sh -c apt-get ...` for `RUN`; BuildKit writes `RUN /bin/sh -c apt-get ... # buildkit`.
 * Anything else is shown as recorded.
 */

const NOP = /^\/bin\/sh -c #\(nop\)\s+/;
const SHELL = /^\/bin\/sh -c /;

export function dockerfileLine(createdBy: string | undefined): string {
  if (!createdBy) return '';
  let line = createdBy.trim().replace(/\s+# buildkit$/, '');
  if (NOP.test(line)) return line.replace(NOP, '');
  if (SHELL.test(line)) return `RUN ${line.replace(SHELL, '')}`;
  if (line.startsWith('RUN /bin/sh -c ')) line = `RUN ${line.slice('RUN /bin/sh -c '.length)}`;
  return line;
}
