import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { UiBundle } from './ui-bundle.service';
import { INDEX_HTML } from './index.html';

/** The web UI on the control API's port: one page, its script chunks. Public: the page asks for a token itself. */
@Controller()
export class UiController {
  constructor(private readonly bundle: UiBundle) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  index(): string {
    return INDEX_HTML;
  }

  @Get('ui/:file')
  async asset(@Param('file') file: string, @Res() res: Response): Promise<void> {
    const asset = await this.bundle.asset(file);
    if (!asset) throw new NotFoundException(`no file ${file} in the web UI`);
    // Chunks are named by their content hash; the entry keeps its name, so it is revalidated.
    res.setHeader('cache-control', file.startsWith('chunk-') ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('content-type', asset.contentType);
    res.send(asset.body);
  }
}
