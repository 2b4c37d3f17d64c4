import type { Command } from 'commander';
import { readSettings } from '../../config/environment.js';
import { GENERATE_VIDEO_WORKFLOW } from '../../contracts/generation.js';
import {
  workflowInputJsonSchema,
  workflowResultJsonSchema,
} from '../../contracts/workflow-payloads.js';
import { ValidationError } from '../../errors.js';
import { printJson } from '../output.js';

/**
 * `klingflow schema [--input | --result]`: JSON Schema of the generateVideo workflow's input and
 * result, generated from the zod schemas, so a program in any language can start the workflow
 * with a Temporal SDK and read its result. Without a flag: both, with the workflow type and the
 * task queue.
 */
export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('print JSON Schema of the generateVideo workflow input and result')
    .option('--input', 'only the input schema')
    .option('--result', 'only the result schema')
    .action((flags: { input?: boolean; result?: boolean }) => {
      if (flags.input && flags.result) {
        throw new ValidationError([
          { field: '--input/--result', message: 'give at most one of --input and --result' },
        ]);
      }
      if (flags.input) return printJson(workflowInputJsonSchema());
      if (flags.result) return printJson(workflowResultJsonSchema());
      printJson({
        workflowType: GENERATE_VIDEO_WORKFLOW,
        taskQueue: readSettings().taskQueue,
        input: workflowInputJsonSchema(),
        result: workflowResultJsonSchema(),
      });
    });
}
