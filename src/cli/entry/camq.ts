import { main } from '../main.js';
import { createCamqProgram } from '../program.js';

await main(createCamqProgram());
