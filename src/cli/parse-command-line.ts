/**
 * @module Command-line parsing for every `outpost` command: node:util `parseArgs`, with plain
 * one-line messages for the mistakes people make (an unknown option, a missing value) instead
 * of Node's advice about positionals starting with '-'.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Bad usage; its message is one plain line, without the command's name. */
export class UsageError extends Error {
  readonly code = 'OUTPOST_CLI_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Positionals and options; throws UsageError for an unknown option or a missing or extra value. */
export function parseCommandLine<T extends Options>(args: string[], options: T) {
  // A lenient pass to find the mistake; the strict pass below then cannot fail and is typed.
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (option === undefined) throw new UsageError(`unknown option ${token.rawName}`);
    if (option.type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
    // `--listen --data x` would take "--data" as the address: a value may not look like an option.
    const looksLikeOption = !token.inlineValue && token.value?.startsWith('-') === true;
    if (option.type === 'string' && (token.value === undefined || looksLikeOption)) {
      throw new UsageError(`${token.rawName} needs a value`);
    }
  }
  return parseArgs<{ args: string[]; options: T; allowPositionals: true }>({ args, options, allowPositionals: true });
}
