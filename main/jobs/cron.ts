/**
 * @module Five-field cron expressions ("m h dom mon dow"), evaluated in UTC: numbers, `*`,
 * ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`; day of week 0-7 (0 and 7 are Sunday).
 * As in Vixie cron, when both day of month and day of week are restricted, a day matching
 * either one fires. No names (`MON`, `JAN`) and no `@daily`: what the API accepts is what it shows.
 */

export class CronSyntaxError extends Error {
  readonly code = 'OUTPOST_CRON_SYNTAX';
  constructor(message: string) {
    super(message);
    this.name = 'CronSyntaxError';
  }
}

export interface CronSchedule {
  readonly expression: string;
  /** The first minute strictly after `afterMs` that matches, within about 5 years; undefined if none. */
  next(afterMs: number): number | undefined;
}

interface Field {
  name: string;
  min: number;
  max: number;
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];
const MAX_EXPRESSION_CHARS = 200;
const MINUTE_MS = 60_000;
// Enough for any expression that ever fires (29 February comes within 8 years; 5 covers the rest).
const SEARCH_DAYS = 8 * 366;

function parseNumber(text: string, field: Field): number {
  if (!/^\d{1,2}$/.test(text)) throw new CronSyntaxError(`${field.name}: "${text}" is not a number`);
  const n = Number(text);
  if (n < field.min || n > field.max)
    throw new CronSyntaxError(`${field.name}: ${n} is outside ${field.min}-${field.max}`);
  return n;
}

function parseField(text: string, field: Field): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : parseNumber(stepText, { ...field, min: 1, max: 59 });
    let from: number;
    let to: number;
    if (range === '*') {
      [from, to] = [field.min, field.max];
      if (stepText === undefined) star = true;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [parseNumber(a, field), parseNumber(b, field)];
      if (from > to) throw new CronSyntaxError(`${field.name}: range ${range} is backwards`);
    } else {
      from = parseNumber(range, field);
      to = stepText === undefined ? from : field.max;
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return { values, star };
}

export function parseCron(expression: string): CronSchedule {
  if (expression.length > MAX_EXPRESSION_CHARS) throw new CronSyntaxError('the schedule is too long');
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new CronSyntaxError(
      `a schedule has 5 fields "minute hour day-of-month month day-of-week", got ${parts.length}`,
    );
  const [minute, hour, dom, month, dow] = parts.map((text, i) => parseField(text, FIELDS[i]!)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  if (dow.values.has(7)) dow.values.add(0);
  const dayMatches = (date: Date) => {
    const inMonth = dom.values.has(date.getUTCDate());
    const inWeek = dow.values.has(date.getUTCDay());
    if (dom.star || dow.star) return (dom.star || inMonth) && (dow.star || inWeek);
    return inMonth || inWeek;
  };
  return {
    expression: parts.join(' '),
    next(afterMs) {
      const t = new Date(Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
      const limit = afterMs + SEARCH_DAYS * 24 * 60 * MINUTE_MS;
      // Skip whole months, days and hours that cannot match: at most a few thousand steps.
      while (t.getTime() <= limit) {
        if (!month.values.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0);
        } else if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0);
        } else if (!hour.values.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0);
        } else if (!minute.values.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1);
        } else {
          return t.getTime();
        }
      }
      return undefined;
    },
  };
}
