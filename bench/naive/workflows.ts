// klingflow's workflows plus the naive baseline, bundled together for the cost benchmark.
export * from '../../src/workflows/index.js';
export { naiveGenerate } from './naive-workflow.js';
