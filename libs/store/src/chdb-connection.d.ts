// The workspace resolves modules the node10 way, which ignores package.json `exports`, so it
// cannot see chdb's `chdb/connection` subpath; point the types at the file that subpath exports.
declare module 'chdb/connection' {
  export * from 'chdb/dist/connection/index';
}
