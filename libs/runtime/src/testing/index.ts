export * from './github-api';
export * from './git-http';
