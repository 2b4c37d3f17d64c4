/**
 * A provider's unverified shapes, written one per line as they read in the README's
 * "Unverified provider shapes" list (a test keeps the two in step): prose, not code.
 */
export function unverifiedShapes(lines: string): readonly string[] {
  return lines
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
