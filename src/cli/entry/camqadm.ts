import { createCamqadmProgram } from '../commands/shell.js';
import { main } from '../main.js';

await main(createCamqadmProgram());
