export * from './task-tap.js';
