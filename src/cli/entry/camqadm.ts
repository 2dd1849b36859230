import { createCamqadmProgram } from '../commands/shell.js';
import { main } from '../main.js';

// No top-level await: scripts/bundle.mjs bundles this entry as CommonJS. main() reports every error itself.
void main(createCamqadmProgram());
