// The executor's run pipeline, free of framework and transport: what it needs from the outside
// world (adapters, the bus, durable stores) comes in through the interfaces in ports.ts and
// adapters/action-runner.ts.
export * from './executor';
export * from './executor-state';
export * from './ports';
export * from './prepare';
export * from './run';
export * from './claims';
export * from './recovery';
export * from './outcome';
export * from './rollback';
export * from './work-pool';
export * from './adapters/action-runner';
export * from './adapters/action-request';
export * from './adapters/kubernetes-call';
export * from './adapters/template';
export * from './verification/health-check';
export * from './verification/verification-plan';
export * from './vcs/validation';
export * from './vcs/repair-actuator';
export * from './verification/experiment-check';
export * from './vcs/repair-recovery';
