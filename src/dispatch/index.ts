export * from './retry-plan.js';
export * from './task-dispatcher.js';
