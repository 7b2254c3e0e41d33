/** Valid sample events and fixtures for other projects' tests: `@homeostat/contracts/testing`. */
export * from './sample-events';
export const VALID_LOOP_FIXTURE = `${__dirname}/fixtures/valid-loop.yaml`;
export * from './repair-loop';
