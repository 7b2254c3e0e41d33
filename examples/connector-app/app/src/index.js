'use strict';
const { parseConnectionString } = require('@acme/connector');

/** The settings the service opens its database pool with, from a DATABASE_URL. */
function databaseSettings(url) {
  const c = parseConnectionString(url);
  return {
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    poolSize: c.port === 6432 ? 50 : 10, // pgbouncer takes more clients than the database itself
  };
}

module.exports = { databaseSettings };
