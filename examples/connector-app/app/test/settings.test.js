'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { databaseSettings } = require('../src/index.js');

test('reads host, port, database and user from DATABASE_URL', () => {
  assert.deepEqual(databaseSettings('postgres://shop@db.internal:5432/orders'), {
    host: 'db.internal',
    port: 5432,
    database: 'orders',
    user: 'shop',
    poolSize: 10,
  });
});

test('a pgbouncer port gets the larger pool', () => {
  assert.equal(databaseSettings('postgres://shop@pool.internal:6432/orders').poolSize, 50);
});
