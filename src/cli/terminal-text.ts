import { stripVTControlCharacters } from 'node:util';

/**
 * Control characters (C0, DEL, C1) and format characters, which include the bidirectional
 * overrides that make a terminal show text in another order than it is ("Trojan Source").
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}]/gu;

/**
 * Text for a human on a terminal. Provider error messages and statuses are free text from a
 * third party: an escape sequence in one could recolour, hide or rewrite what the user sees
 * (or, on some terminals, do worse), so escape sequences are removed whole and any other control
 * character is dropped. JSON output does not need this: JSON.stringify escapes them.
 */
export function printableText(text: string): string {
  return stripVTControlCharacters(text).replace(UNPRINTABLE, (character) =>
    character === '\n' || character === '\t' ? character : '',
  );
}
