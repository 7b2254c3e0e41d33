import { actorOf, presentedToken, roleAllows, SESSION_COOKIE, TokenRegistry } from './access';

const tokens = new TokenRegistry([
  { name: 'vera', role: 'viewer', token: 'viewer-token-0000001' },
  { name: 'otto', role: 'operator', token: 'operator-token-00001' },
  { name: 'ada', role: 'admin', token: 'admin-token-00000001' },
]);

describe('console access by token and role', () => {
  it('orders the roles: admin may do what operators may, operators what viewers may', () => {
    expect(roleAllows('admin', 'operator')).toBe(true);
    expect(roleAllows('operator', 'viewer')).toBe(true);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'operator')).toBe(false);
  });

  it('given no tokens configured, lets everyone do everything as an unauthenticated admin', () => {
    const open = new TokenRegistry([]);
    expect(open.enabled).toBe(false);
    expect(open.check(undefined, 'admin')).toEqual({ ok: true, principal: { name: 'anonymous', role: 'admin', authenticated: false } });
  });

  it('answers 401 without a token or with an unknown one, saying how to get in', () => {
    expect(tokens.check(undefined, 'viewer')).toEqual({
      ok: false,
      status: 401,
      message: expect.stringMatching(/a token is required: send "Authorization: Bearer <token>"/),
    });
    expect(tokens.check('not-a-token', 'viewer')).toEqual({ ok: false, status: 401, message: expect.stringMatching(/not valid/) });
  });

  it('answers 403 when the role is too low, naming who, their role and the role needed', () => {
    expect(tokens.check('viewer-token-0000001', 'operator')).toEqual({
      ok: false,
      status: 403,
      message: 'vera has the role viewer; this needs operator (operators may approve, reject, pause and resume)',
    });
    expect(tokens.check('operator-token-00001', 'admin')).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringMatching(/kill switch/),
    });
  });

  it('lets a token with the role (or a higher one) through as its owner', () => {
    expect(tokens.check('operator-token-00001', 'operator')).toEqual({
      ok: true,
      principal: { name: 'otto', role: 'operator', authenticated: true },
    });
    expect(tokens.check('admin-token-00000001', 'viewer')).toMatchObject({ ok: true, principal: { name: 'ada' } });
    expect(tokens.tokens).toEqual([
      { name: 'vera', role: 'viewer' },
      { name: 'otto', role: 'operator' },
      { name: 'ada', role: 'admin' },
    ]);
  });

  it('reads the token from a bearer header first, else from the session cookie', () => {
    expect(presentedToken({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedToken({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedToken({ cookie: `other=1; ${SESSION_COOKIE}=a%3Ab; x=y` })).toBe('a:b');
    expect(presentedToken({ authorization: 'Basic xyz', cookie: 'other=1' })).toBeUndefined();
    expect(presentedToken({})).toBeUndefined();
  });

  it('takes a session cookie that is not URI-encoded as it is (it matches no token: 401), instead of throwing', () => {
    expect(presentedToken({ cookie: `${SESSION_COOKIE}=%E0%A4%A` })).toBe('%E0%A4%A');
    expect(new TokenRegistry([{ name: 'ada', role: 'admin', token: 'admin-token-00000001' }]).check('%E0%A4%A', 'viewer')).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('records the token owner as the actor when access control is on, whatever the body claims', () => {
    expect(actorOf({ name: 'otto', role: 'operator', authenticated: true }, 'mallory')).toBe('otto');
    expect(actorOf({ name: 'anonymous', role: 'admin', authenticated: false }, 'alice')).toBe('alice');
    expect(actorOf({ name: 'anonymous', role: 'admin', authenticated: false }, undefined)).toBe('anonymous');
  });
});
