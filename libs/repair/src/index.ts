export * from './log-lines';
export * from './reason-lines';
export * from './coordinates';
export * from './category';
export * from './signature';
export * from './culprits';
export * from './similarity';
export * from './triage';
