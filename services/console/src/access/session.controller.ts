import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { parseBody } from '../control.dto';
import { presentedToken, SESSION_COOKIE, TokenRegistry } from './access';
import { Access } from './access.guard';

const signInSchema = z.object({ token: z.string().min(1, 'must not be empty').max(4096) }).strict();

export interface SessionView {
  /** false: access control is off, everyone may do everything (commands carry the name people give). */
  authEnabled: boolean;
  principal: { name: string; role: string } | null;
}

/**
 * Signing in to the web UI: the token goes into an HttpOnly, SameSite=Strict session cookie, so
 * page scripts never hold it, the event stream (EventSource cannot send headers) carries it, and
 * other sites cannot send commands with it. API clients send a bearer header instead.
 */
@Controller('api')
export class SessionController {
  constructor(@Inject(TokenRegistry) private readonly tokens: TokenRegistry) {}

  @Get('session')
  session(@Req() req: Request): SessionView {
    if (!this.tokens.enabled) return { authEnabled: false, principal: null };
    const token = presentedToken(req.headers);
    const principal = token === undefined ? undefined : this.tokens.find(token);
    return { authEnabled: true, principal: principal ? { name: principal.name, role: principal.role } : null };
  }

  @Post('session')
  @HttpCode(200)
  signIn(@Body() body: unknown, @Res({ passthrough: true }) res: Response): SessionView {
    const { token } = parseBody(signInSchema, body);
    if (!this.tokens.enabled) return { authEnabled: false, principal: null };
    const principal = this.tokens.find(token);
    if (!principal) throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'the token is not valid' });
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/' });
    return { authEnabled: true, principal: { name: principal.name, role: principal.role } };
  }

  @Delete('session')
  @HttpCode(204)
  signOut(@Res({ passthrough: true }) res: Response): void {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  /** Who may use the console (names and roles, never the tokens). */
  @Get('tokens')
  @Access('admin')
  list(): { authEnabled: boolean; tokens: { name: string; role: string }[] } {
    return { authEnabled: this.tokens.enabled, tokens: this.tokens.tokens };
  }
}
