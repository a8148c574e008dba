/**
 * @module Maven's version ordering (maven-artifact `ComparableVersion`, as documented in "Version Order
 * Specification" of the Maven POM reference): the version splits on "." and "-" and on digit/letter
 * transitions into numbers and qualifiers; "-" and a transition open a sub-list. Trailing "null" items
 * (0, "", "final", "ga", "release") are dropped per list. Qualifiers order alpha < beta < milestone <
 * rc = cr < snapshot < "" = ga = final = release < sp < any other (as text); "a1", "b1", "m1" read as
 * alpha-1, beta-1, milestone-1. A number sorts after a qualifier or a list; a list after a qualifier.
 */
import { compareNumeric } from './apk.js';

type Item = { kind: 'int'; value: string } | { kind: 'str'; value: string } | { kind: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function comparableQualifier(value: string): string {
  const i = QUALIFIERS.indexOf(value);
  return i === -1 ? `${QUALIFIERS.length}-${value}` : String(i);
}

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) v = v === 'a' ? 'alpha' : v === 'b' ? 'beta' : v === 'm' ? 'milestone' : v;
  return { kind: 'str', value: ALIASES[v] ?? v };
}

const parseItem = (isDigit: boolean, text: string): Item =>
  isDigit ? { kind: 'int', value: text.replace(/^0+(?=\d)/, '') } : stringItem(text, false);

const isNull = (item: Item): boolean =>
  item.kind === 'int' ? /^0+$/.test(item.value) : item.kind === 'str' ? item.value === '' : item.items.length === 0;

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i] as Item;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

export function parseMavenVersion(version: string): Item {
  const text = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const push = (): void => {
    const next: Item[] = [];
    list.push({ kind: 'list', items: next });
    list = next;
    stack.push(next);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '.') {
      list.push(i === start ? { kind: 'int', value: '0' } : parseItem(isDigit, text.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      list.push(i === start ? { kind: 'int', value: '0' } : parseItem(isDigit, text.slice(start, i)));
      start = i + 1;
      push();
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        list.push(stringItem(text.slice(start, i), true));
        start = i;
        push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, text.slice(start, i)));
        start = i;
        push();
      }
      isDigit = false;
    }
  }
  if (text.length > start) list.push(parseItem(isDigit, text.slice(start)));
  for (let l = stack.pop(); l !== undefined; l = stack.pop()) normalize(l);
  return { kind: 'list', items: root };
}

/** `a.compareTo(b)`; `b` undefined stands for Java's null (a missing item). */
function compareItems(a: Item, b: Item | undefined): number {
  switch (a.kind) {
    case 'int':
      if (b === undefined) return /^0+$/.test(a.value) ? 0 : 1;
      return b.kind === 'int' ? Math.sign(compareNumeric(a.value, b.value)) : 1;
    case 'str': {
      if (b !== undefined && b.kind !== 'str') return -1;
      // Java's String.compareTo: code units, not locale.
      const x = comparableQualifier(a.value);
      const y = b === undefined ? RELEASE_INDEX : comparableQualifier(b.value);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'list': {
      if (b === undefined) return a.items.length === 0 ? 0 : compareItems(a.items[0] as Item, undefined);
      if (b.kind === 'int') return -1;
      if (b.kind === 'str') return 1;
      const n = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < n; i++) {
        const l = a.items[i];
        const r = b.items[i];
        const c = l === undefined ? (r === undefined ? 0 : -compareItems(r, undefined)) : compareItems(l, r);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

export function compareMavenVersions(a: string, b: string): number {
  return compareItems(parseMavenVersion(a), parseMavenVersion(b));
}
