import type { Command, Option } from 'commander';
import { ValidationError, type ValidationIssue } from '../errors.js';

/**
 * Docs, chat apps and word processors turn `--` into an en or em dash. Commander then takes
 * `–-wait` for an argument ("too many arguments", or a workflow id for `status`), so a flag
 * the user meant is dropped or misread. A leading run of dashes with any such character in it,
 * before the name of one of this command's options, is refused with the flag it means.
 */
const LEADING_DASHES = /^[-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]+/;

export function refusePastedDashes(program: Command, args: readonly string[]): void {
  const options = new Map<string, Option>();
  for (const command of [program, ...program.commands])
    for (const option of command.options) if (option.long) options.set(option.long, option);
  const issues: ValidationIssue[] = [];
  args.forEach((argument, index) => {
    const dashes = LEADING_DASHES.exec(argument)?.[0];
    if (!dashes || /^-+$/.test(dashes) || isOptionValue(options, args[index - 1])) return;
    const [name = '', ...value] = argument.slice(dashes.length).split('=');
    const meant = `--${name}`;
    if (!options.has(meant)) return;
    const typed = [...new Set(dashes)].filter((character) => character !== '-').map(describe);
    issues.push({
      field: meant,
      message: `${JSON.stringify(argument)} begins with ${typed.join(' and ')}, a dash documents and chat apps put in place of "--"; type it as ${meant}${value.length > 0 ? `=${value.join('=')}` : ''}`,
    });
  });
  if (issues.length > 0) throw new ValidationError(issues);
}

/** `--prompt "— a fox"`: the text after an option that takes a value is that value. */
function isOptionValue(options: Map<string, Option>, previous: string | undefined): boolean {
  if (previous === undefined || previous.includes('=')) return false;
  const option = options.get(previous);
  return option !== undefined && (option.required || option.optional);
}

function describe(character: string): string {
  const code = character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `"${character}" (U+${code})`;
}
