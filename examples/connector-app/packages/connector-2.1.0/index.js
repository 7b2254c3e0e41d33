'use strict';
/** postgres://user@host:port/database, as an object. */
function parse(url) {
  const u = new URL(url);
  return {
    protocol: u.protocol.replace(/:$/, ''),
    user: decodeURIComponent(u.username),
    host: u.hostname,
    port: u.port === '' ? 5432 : Number(u.port),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  };
}

module.exports = { parseConnectionString: parse, supportsRequireEsm: typeof process.features.require_module === 'boolean' };
