/**
 * Lists the functions, methods and arrow functions in a folder longer than a limit (issue 14:
 * none in src/ over 80 lines), longest first; exits 1 when there is one.
 *
 *   npx tsx scripts/long-functions.ts [DIR] [MAX_LINES]     (default src 80)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) {
    return parent.name.getText();
  }
  return '<anonymous>';
}

export function longFunctions(directory: string, maxLines: number): string[] {
  const found: { lines: number; where: string }[] = [];
  for (const file of sourceFiles(directory)) {
    const source = ts.createSourceFile(
      file,
      readFileSync(file, 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    const line = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const lines = line(node.end) - line(node.getStart()) + 1;
        if (lines > maxLines) {
          found.push({ lines, where: `${file}:${line(node.getStart())} ${nameOf(node)}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found.sort((a, b) => b.lines - a.lines).map(({ lines, where }) => `${lines}\t${where}`);
}

const [directory = 'src', max = '80'] = process.argv.slice(2);
const found = longFunctions(directory, Number(max));
for (const row of found) console.log(row);
process.exitCode = found.length > 0 ? 1 : 0;
