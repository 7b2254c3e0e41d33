export { buildProgram } from './program';
export { serviceDefinitions } from './services';
