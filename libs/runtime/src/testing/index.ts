export * from './github-api';
