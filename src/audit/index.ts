export * from './action-catalog.js';
export * from './action-policy.js';
export * from './action-record.js';
