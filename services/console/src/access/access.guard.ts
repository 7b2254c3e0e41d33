import {
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ConsoleRole } from '@homeostat/config';
import { presentedToken, TokenRegistry, type Principal } from './access';

const ACCESS_ROLE = 'homeostat.console.access-role';

/**
 * The role a route needs (on a controller: for all its routes; on a method: overrides it), or
 * `public`. Routes without one (the probes, the page) are public too.
 */
export const Access = (role: ConsoleRole | 'public'): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_ROLE, role);

interface RequestWithPrincipal {
  headers: { authorization?: string; cookie?: string };
  principal?: Principal;
}

/** The caller, as the guard identified it (anonymous admin when access control is off). */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('@Caller() on a route without @Access()');
  return principal;
});

/** Checks the token against the role a route needs: 401 without a valid token, 403 when the role is too low. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TokenRegistry) private readonly tokens: TokenRegistry,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const needed = this.reflector.getAllAndOverride<ConsoleRole | 'public' | undefined>(ACCESS_ROLE, [ctx.getHandler(), ctx.getClass()]);
    if (needed === undefined || needed === 'public') return true;
    const req = ctx.switchToHttp().getRequest<RequestWithPrincipal>();
    const result = this.tokens.check(presentedToken(req.headers), needed);
    if (!result.ok) {
      const body = { statusCode: result.status, error: result.status === 401 ? 'Unauthorized' : 'Forbidden', message: result.message };
      throw result.status === 401 ? new UnauthorizedException(body) : new ForbiddenException(body);
    }
    req.principal = result.principal;
    return true;
  }
}
