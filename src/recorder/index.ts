export * from './recorder.js';
export * from './recorder-queue.js';
